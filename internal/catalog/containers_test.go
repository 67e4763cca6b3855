package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
)

// imageRuntime is a unit-test fake for a container image's runtime.
type imageRuntime struct{ runs int }

func (r *imageRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	r.runs++
	_, _ = req.Stdout.Write([]byte(`{"python": "3.10.12", "packages": ["rclpy==3.3.11"], "ros": "humble"}` + "\n"))
	return sandbox.Result{Status: sandbox.StatusSuccess}, nil
}

func byID(envs []Environment) map[string]Environment {
	m := map[string]Environment{}
	for _, e := range envs {
		m[e.ID] = e
	}
	return m
}

func TestContainerEnvironments(t *testing.T) {
	server := &probeRuntime{}
	ok := func(context.Context) error { return nil }
	var engineErr error
	down := func(context.Context) error { return engineErr }
	py := sandbox.Language{Name: "python", FileName: "main.py", Run: []string{"python3", "-u", "main.py"}}
	ros, docker := &imageRuntime{}, &imageRuntime{}
	c := New(server, func(context.Context) sandbox.Report { return sandbox.Report{Strong: true} }, "fake",
		lang.Set{"python": builtin["python"]}, sandbox.Limits{MemoryBytes: 128 << 20}).
		WithContainers([]ContainerEnv{
			{ID: "ros2", Name: "ROS 2 Humble", Image: "ros:humble-runblock", Runtime: ros, Langs: map[string]sandbox.Language{"python": py}, Available: ok},
			{ID: "docker", Image: "python-runblock", OCIRuntime: "runsc", Runtime: docker, Langs: map[string]sandbox.Language{"python": py}, Available: down},
		})
	envs := byID(c.Environments(context.Background()))
	r := envs["ros2"]
	if !r.Available || r.Languages[0].Version != "3.10.12" || !strings.Contains(strings.Join(r.Capabilities, "|"), "ROS 2 humble") || r.Packages[0] != "rclpy==3.3.11" {
		t.Fatalf("ros2: %+v", r)
	}
	d := envs["docker"]
	if !d.Available || d.AliasOf != "" || d.Runtime != "container python-runblock (runsc)" {
		t.Fatalf("docker: %+v", d)
	}
	// The engine goes away: the environment says so, without probing.
	engineErr = errors.New("sandbox: runtime unavailable: container engine unreachable")
	runs := docker.runs
	d = byID(c.Environments(context.Background()))["docker"]
	if d.Available || !strings.HasPrefix(d.Limitations[0], "Not available: sandbox: runtime unavailable") || docker.runs != runs {
		t.Fatalf("docker with the engine down: %+v (%d probes)", d, docker.runs-runs)
	}
}

func TestDockerAliasAndROS2MessageWithoutContainers(t *testing.T) {
	c := New(&probeRuntime{}, func(context.Context) sandbox.Report { return sandbox.Report{Strong: true} }, "fake",
		lang.Set{"python": builtin["python"]}, sandbox.Limits{})
	envs := byID(c.Environments(context.Background()))
	if envs["docker"].AliasOf != "server" {
		t.Fatalf("docker: %+v", envs["docker"])
	}
	r := envs["ros2"]
	if r.Available || !strings.HasPrefix(r.Limitations[0], "Needs the ros2 image") {
		t.Fatalf("ros2: %+v", r)
	}
}
