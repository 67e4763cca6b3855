package execute

import (
	"slices"
	"strings"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/sandbox"
)

// Env is an environment served by its own runtime (a container image):
// requests that name it run there, in its languages.
type Env struct {
	Runtime sandbox.Runtime
	Langs   map[string]sandbox.Language
}

// KnownContainerEnvs are environments lessons may name that need an
// operator's image; without one they answer a clear 503, not "unknown".
var KnownContainerEnvs = map[string]string{
	"ros2": "needs the ros2 image (ROS 2 with rclpy), which this server has not configured",
}

// WithEnvironments routes requests naming these environments to their
// runtimes. "docker" among them replaces its alias of the server sandbox.
func (s *Service) WithEnvironments(envs map[string]Env) *Service { s.envs = envs; return s }

// containerEnv resolves a request's environment when it is one of the
// configured ones (ok false: not one of them).
func (s *Service) containerEnv(p *Prepared) (bool, error) {
	name := strings.ToLower(p.Environment)
	env, ok := s.envs[name]
	if !ok {
		if why, known := KnownContainerEnvs[name]; known {
			// Not coming back by itself: a long Retry-After makes clients
			// show the message instead of retrying.
			e := apperr.New(apperr.Busy, "environment_unavailable", "environment %s %s", name, why)
			e.RetryAfter = time.Hour
			return true, e
		}
		return false, nil
	}
	lang, ok := env.Langs[p.Language]
	if !ok {
		names := make([]string, 0, len(env.Langs))
		for n := range env.Langs {
			names = append(names, n)
		}
		slices.Sort(names)
		return true, apperr.New(apperr.Invalid, "unsupported_language", "environment %s runs %s, not %s", name, strings.Join(names, ", "), p.Language)
	}
	p.Environment, p.Lang, p.runtime = name, lang, env.Runtime
	return true, nil
}
