package container

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// engine is what differs between Docker and Podman, learnt once from the
// engine's /version.
type engine struct {
	mu      sync.Mutex
	known   bool
	seccomp string // the SecurityOpt value
}

// securityOpt returns "seccomp=..." for this engine. Docker takes the
// profile's JSON; Podman's compatible API takes a path on its host (it
// serves local sockets, so runblock writes the file there).
func (r *Runtime) securityOpt(ctx context.Context) (string, error) {
	r.eng.mu.Lock()
	defer r.eng.mu.Unlock()
	if r.eng.known {
		return r.eng.seccomp, nil
	}
	v, err := r.api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", r.engineErr("version", err)
	}
	podman := strings.Contains(strings.ToLower(v.Platform.Name), "podman")
	for _, c := range v.Components {
		podman = podman || strings.Contains(strings.ToLower(c.Name), "podman")
	}
	opt := "seccomp=" + r.seccomp
	if podman {
		sum := sha256.Sum256([]byte(r.seccomp))
		p := filepath.Join(os.TempDir(), "runblock-seccomp-"+hex.EncodeToString(sum[:8])+".json")
		if err := os.WriteFile(p+".tmp", []byte(r.seccomp), 0o644); err != nil {
			return "", err
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			return "", err
		}
		opt = "seccomp=" + p
	}
	r.eng.known, r.eng.seccomp = true, opt
	return opt, nil
}

// Available reports whether the engine answers and has the image: what
// /environments and /readyz say about this runtime.
func (r *Runtime) Available(ctx context.Context) error {
	if _, err := r.api.Ping(ctx, client.PingOptions{}); err != nil {
		return unavailable(err)
	}
	if _, err := r.api.ImageInspect(ctx, r.cfg.Image); err != nil {
		if cerrdefs.IsNotFound(err) {
			return fmt.Errorf("%w: image %s is not on the engine (pull or build it first)", ErrUnavailable, r.cfg.Image)
		}
		return r.engineErr("image", err)
	}
	return nil
}

// Image is the image this runtime runs.
func (r *Runtime) Image() string { return r.cfg.Image }

// checkOCIRuntime fails closed when the engine did not take the configured
// OCI runtime: Podman's compatible API ignored HostConfig.Runtime up to
// 2026 (containers/podman#28429), which would run "gVisor" programs on
// runc without a word. Docker reports it in HostConfig.Runtime, Podman in
// OCIRuntime.
func (r *Runtime) checkOCIRuntime(ctx context.Context, id string) error {
	ins, err := r.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return r.engineErr("inspect", err)
	}
	var got struct {
		OCIRuntime string
		HostConfig struct{ Runtime string }
	}
	if err := json.Unmarshal(ins.Raw, &got); err != nil {
		return fmt.Errorf("container: inspect: %w", err)
	}
	used := got.OCIRuntime
	if used == "" {
		used = got.HostConfig.Runtime
	}
	if used != r.cfg.OCIRuntime {
		return fmt.Errorf("container: the engine runs this container with OCI runtime %q, not the configured %q "+
			"(Podman's compatible API ignores the runtime before 5.x/6.x: make %q the default runtime of a service of its own and set that environment's engine)",
			used, r.cfg.OCIRuntime, r.cfg.OCIRuntime)
	}
	return nil
}
