package container_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/container"
	"github.com/runblock/runblock/internal/sandbox/container/podmantest"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var containerID = regexp.MustCompile(`[0-9a-f]{64}`)

// whoAmI is a program that prints the id of the container it runs in.
const whoAmI = "print(open('/proc/self/cgroup').read())"

func TestWarmContainersUsedOnce(t *testing.T) {
	e := podmantest.Start(t)
	owner := "warm-" + strings.ReplaceAll(t.Name(), "/", "-") + time.Now().Format("150405.000")
	rt := newRuntime(t, e, container.Config{Owner: owner, Warm: 2, WarmLanguage: python})
	var before map[string]string
	waitFor(t, "two warm containers", func() bool {
		before = podmantest.Owned(t, e.Host, owner)
		n := 0
		for _, st := range before {
			if st == "running" {
				n++
			}
		}
		return n == 2
	})
	res, out, errOut := run(t, rt, whoAmI, sandbox.Limits{})
	first := containerID.FindString(out)
	if res.Status != sandbox.StatusSuccess || first == "" {
		t.Fatalf("%+v %q %q", res, out, errOut)
	}
	if _, ok := before[first]; !ok {
		t.Fatalf("run did not use a warm container: %s not in %v", first, before)
	}
	res, out, _ = run(t, rt, whoAmI, sandbox.Limits{})
	second := containerID.FindString(out)
	if res.Status != sandbox.StatusSuccess || second == "" || second == first {
		t.Fatalf("second run in %q after %q: %+v", second, first, res)
	}
	waitFor(t, "the used container removed", func() bool { _, ok := podmantest.Owned(t, e.Host, owner)[first]; return !ok })
	// Limits a warm container was not made with take a cold one.
	res, out, _ = run(t, rt, whoAmI, sandbox.Limits{MemoryBytes: 64 << 20})
	if id := containerID.FindString(out); res.Status != sandbox.StatusSuccess || id == "" || before[id] != "" {
		t.Fatalf("custom limits ran in %q (warm: %v): %+v", id, before, res)
	}
}

// TestKill9LeavesNoContainer kills a process holding warm containers and a
// running program with SIGKILL; the next runtime with the same owner
// removes them at start-up.
func TestKill9LeavesNoContainer(t *testing.T) {
	if os.Getenv("RB_CONTAINER_CHILD") != "" {
		return // the child's own copy of this test: the work is in TestHelperChild
	}
	e := podmantest.Start(t)
	owner := "kill9-" + time.Now().Format("150405.000")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperChild$")
	cmd.Env = append(os.Environ(), "RB_CONTAINER_CHILD="+e.Host+" "+e.Image+" "+owner)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.Contains(sc.Text(), "CHILD-RUNNING") {
	}
	left := podmantest.Owned(t, e.Host, owner)
	cmd.Process.Kill()
	cmd.Wait()
	if len(left) < 2 {
		t.Fatalf("the child held %d containers, want a warm one and a running one: %v", len(left), left)
	}
	newRuntime(t, e, container.Config{Owner: owner})
	if got := podmantest.Owned(t, e.Host, owner); len(got) != 0 {
		t.Fatalf("containers left after restart: %v", got)
	}
}

// TestHelperChild is the process TestKill9LeavesNoContainer kills.
func TestHelperChild(t *testing.T) {
	env := os.Getenv("RB_CONTAINER_CHILD")
	if env == "" {
		t.Skip("only runs as TestKill9LeavesNoContainer's child process")
	}
	f := strings.Fields(env)
	rt, err := container.New(context.Background(), container.Config{Host: f[0], Image: f[1], Owner: f[2], Warm: 1, WarmLanguage: python})
	if err != nil {
		t.Fatal(err)
	}
	out := &markWriter{}
	rt.Run(context.Background(), sandbox.Request{Language: python, Files: []sandbox.File{{Content: []byte("import time\nprint('CHILD-RUNNING', flush=True)\ntime.sleep(600)")}}, Stdout: out, Stderr: os.Stderr})
}

type markWriter struct{}

func (markWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "CHILD-RUNNING") {
		// Wait until the warm container is there too, then tell the parent.
		time.Sleep(3 * time.Second)
		os.Stdout.WriteString("CHILD-RUNNING\n")
	}
	return len(p), nil
}

// TestSweepRemovesOnlyUntracked: the janitor's sweep removes a container of
// this owner that no run holds (a failed removal, a crashed predecessor)
// and leaves the warm ones alone.
func TestSweepRemovesOnlyUntracked(t *testing.T) {
	e := podmantest.Start(t)
	owner := "sweep-" + time.Now().Format("150405.000000")
	rt := newRuntime(t, e, container.Config{Owner: owner, Warm: 1, WarmLanguage: python})
	waitFor(t, "a warm container", func() bool { return len(podmantest.Owned(t, e.Host, owner)) == 1 })
	warm := podmantest.Owned(t, e.Host, owner)

	api, err := client.New(client.WithHost(e.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	stray, err := api.ContainerCreate(context.Background(), client.ContainerCreateOptions{
		Image:  e.Image,
		Config: &containertypes.Config{Cmd: []string{"true"}, Labels: map[string]string{container.LabelOwner: owner}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Sweep(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	left := podmantest.Owned(t, e.Host, owner)
	if _, ok := left[stray.ID]; ok {
		t.Fatalf("untracked container %s not removed", stray.ID)
	}
	for id := range warm {
		if _, ok := left[id]; !ok {
			t.Fatalf("warm container %s removed by the sweep", id)
		}
	}
}
