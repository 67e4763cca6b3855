package config

import (
	"regexp"
	"strings"

	"github.com/runblock/runblock/internal/sandbox"
)

// Containers configures environments that run in container images through
// the Docker Engine API (Docker, or Podman's API service). With no engine
// the "docker" environment stays an alias of the server sandbox.
type Containers struct {
	// Engine is the API address, e.g. unix:///var/run/docker.sock or
	// unix:///run/podman/podman.sock. Empty: no container environments.
	Engine string `json:"engine"`
	// Owner labels this server's containers, so that the next start removes
	// what a crash left; servers sharing one engine need their own.
	Owner string `json:"owner"`
	// Slots bounds containers alive at once per environment (default 8);
	// Warm of them wait started for python code (default 2; 0: none).
	Slots int  `json:"slots"`
	Warm  *int `json:"warm"`
	// Environments by id ("docker", "ros2", ...).
	Environments map[string]ContainerEnv `json:"environments"`
}

// ContainerEnv is one image and what it runs.
type ContainerEnv struct {
	Name  string `json:"name"`
	Image string `json:"image"`
	// Engine overrides containers.engine for this environment: a Podman
	// service of its own whose default runtime is gVisor, since Podman's
	// API ignored oci_runtime before 2026.
	Engine string `json:"engine"`
	// OCIRuntime is the engine's runtime name (e.g. runsc for gVisor);
	// empty: the engine's default.
	OCIRuntime string `json:"oci_runtime"`
	// User the programs run as (uid:gid), never root; default 10001:10001.
	User string `json:"user"`
	// Languages with argv as the image has them. The run command may be a
	// shell line (ROS 2 needs its setup script sourced); compile steps
	// are not supported.
	Languages map[string]sandbox.Language `json:"languages"`
}

var envID = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

func (c *Config) validateContainers(bad func(field, format string, args ...any)) {
	ct := c.Containers
	if ct.Engine == "" {
		if len(ct.Environments) > 0 {
			bad("containers.engine", "must be set when containers.environments are")
		}
		return
	}
	if !validEngine(ct.Engine) {
		bad("containers.engine", "must be a unix:// or tcp:// address, not %q", ct.Engine)
	}
	if ct.Slots < 0 {
		bad("containers.slots", "must not be negative")
	}
	if ct.Warm != nil && *ct.Warm < 0 {
		bad("containers.warm", "must not be negative")
	}
	for id, env := range ct.Environments {
		f := "containers.environments." + id
		switch {
		case !envID.MatchString(id):
			bad(f, "id must be lower-case letters, digits, - and _")
		case id == "server" || id == "pyodide" || id == "wasm":
			bad(f, "%s is a built-in environment", id)
		}
		if env.Engine != "" && !validEngine(env.Engine) {
			bad(f+".engine", "must be a unix:// or tcp:// address, not %q", env.Engine)
		}
		if env.Image == "" {
			bad(f+".image", "must not be empty")
		}
		if u := env.User; u == "0" || u == "root" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:") {
			bad(f+".user", "must not be root")
		}
		if len(env.Languages) == 0 {
			bad(f+".languages", "must name at least one language")
		}
		for name, lang := range env.Languages {
			if lang.FileName == "" {
				bad(f+".languages."+name+".file_name", "must not be empty")
			}
			if len(lang.Run) == 0 {
				bad(f+".languages."+name+".run", "must not be empty")
			}
			if len(lang.Compile) > 0 {
				bad(f+".languages."+name+".compile", "is not supported in containers; build in the run command")
			}
		}
	}
}

func validEngine(a string) bool {
	return strings.HasPrefix(a, "unix://") || strings.HasPrefix(a, "tcp://")
}
