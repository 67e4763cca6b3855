// Package podmantest starts Podman's Docker-compatible API service on a
// private socket and builds the test image from the host's own files, for
// tests of the container runtime (as root, with podman and runc installed
// by scripts/setup.sh).
package podmantest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/runblock/runblock/internal/sandbox/container"
)

// Engine is a running API service.
type Engine struct {
	Host  string // unix:///...
	Image string
	cmd   *exec.Cmd
}

var imageOnce struct {
	sync.Once
	ref string
	err error
}

// Start starts `podman system service` on a socket in a temporary
// directory and stops it when the test ends. runc, not crun: Debian's crun
// refuses cgroup v1 hybrid hosts like these.
func Start(t testing.TB) *Engine {
	t.Helper()
	e, err := StartService("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return e
}

// StartGVisor is Start with gVisor (Debian's runsc) as the service's
// default runtime: Podman 4.3's API ignores a container's HostConfig.Runtime
// (containers/podman#28429), so a gVisor environment gets a service of its
// own.
func StartGVisor(t testing.TB) *Engine {
	t.Helper()
	e, err := StartService("gvisor")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return e
}

// StartService is Start outside a test (the bench program); call Stop.
// runtime "gvisor" makes runsc the service's default runtime; "" is runc.
func StartService(runtime string) (*Engine, error) {
	podman, err := exec.LookPath("podman")
	if err != nil {
		return nil, fmt.Errorf("podman not installed (scripts/setup.sh test installs it): %w", err)
	}
	ref, err := TestImage()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rb-podman-")
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "api.sock")
	oci := "runc"
	if runtime == "gvisor" {
		if oci, err = gvisorWrapper(); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(podman, "--runtime", oci, "system", "service", "--time=0", "unix://"+sock)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &Engine{Host: "unix://" + sock, Image: ref, cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
			return e, nil
		}
		if time.Now().After(deadline) {
			e.Stop()
			return nil, fmt.Errorf("podman service did not listen: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// gvisorWrapper is runsc as Podman can use it: runsc refuses to start in
// the host's network namespace unless told it has no network (Podman's
// NetworkMode none gives it none of its own), so a wrapper adds
// --network=none, as Docker's daemon.json runtimeArgs would.
// Its path stays after the test: Podman records the runtime's path with
// each container and can't remove one whose runtime is gone.
func gvisorWrapper() (string, error) {
	if _, err := os.Stat("/usr/bin/runsc"); err != nil {
		return "", fmt.Errorf("gVisor not installed (scripts/setup.sh test installs runsc): %w", err)
	}
	wrapper := filepath.Join(os.TempDir(), "runblock-test-runsc-nonet")
	tmp := fmt.Sprintf("%s.%d", wrapper, os.Getpid())
	if err := os.WriteFile(tmp, []byte("#!/bin/sh\nexec /usr/bin/runsc --network=none \"$@\"\n"), 0o755); err != nil {
		return "", err
	}
	return wrapper, os.Rename(tmp, wrapper)
}

// Stop ends the service (its containers stay: the runtime removes them).
func (e *Engine) Stop() {
	if e.cmd.Process != nil {
		e.cmd.Process.Kill()
		e.cmd.Wait()
	}
	os.RemoveAll(filepath.Dir(strings.TrimPrefix(e.Host, "unix://")))
}

// TestImage builds (once, cached by the engine) the image with the host's
// Python and returns its reference.
func TestImage() (string, error) {
	imageOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		script := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "scripts", "container-test-image.sh")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, script).Output()
		if err != nil {
			imageOnce.err = fmt.Errorf("test image: %v: %s", err, errText(err))
			return
		}
		imageOnce.ref = strings.TrimSpace(string(out))
	})
	return imageOnce.ref, imageOnce.err
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// Owned lists the containers labelled as owner's: id → state.
func Owned(t testing.TB, host, owner string) map[string]string {
	t.Helper()
	api, err := client.New(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	list, err := api.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", container.LabelOwner+"="+owner)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, c := range list.Items {
		m[c.ID] = string(c.State)
	}
	return m
}
