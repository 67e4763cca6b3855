package bwrap_test

import (
	"context"
	"io"
	"testing"

	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

// The suite runs as root in CI; the runtime drops to unprivileged uids itself.
func TestConformance(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	langs := config.DefaultLanguages()
	sandboxtest.Run(t, rt, sandboxtest.Languages{Python: langs["python"], C: langs["c"]})
}

func TestCheckReportsStrongIsolation(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rep := rt.Check(context.Background())
	if !rep.Strong {
		t.Fatalf("check: %+v", rep)
	}
	names := map[string]bool{}
	for _, it := range rep.Items {
		names[it.Name] = it.OK
	}
	for _, n := range []string{"cgroups", "seccomp", "unprivileged uid", "no network", "user namespace", "private /usr view"} {
		if !names[n] {
			t.Errorf("check item %q missing or failed: %+v", n, rep.Items)
		}
	}
}

// BenchmarkRunHello measures one short Python run end to end (sandbox set
// up, interpreter start, teardown).
func BenchmarkRunHello(b *testing.B) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	py := config.DefaultLanguages()["python"]
	for b.Loop() {
		res, err := rt.Run(context.Background(), sandbox.Request{Language: py, Files: []sandbox.File{{Content: []byte("print(1)")}}, Stdout: io.Discard, Stderr: io.Discard})
		if err != nil || res.Status != sandbox.StatusSuccess {
			b.Fatalf("%v %+v", err, res)
		}
	}
}

// BenchmarkRunHelloFigureChannel is BenchmarkRunHello with the figure
// channel open, as every Python run through the API has it: the cost of the
// pipe, the read-only bind and sitecustomize's counting stdout on a run
// that draws nothing.
func BenchmarkRunHelloFigureChannel(b *testing.B) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	py := config.DefaultLanguages()["python"]
	for b.Loop() {
		res, err := rt.Run(context.Background(), sandbox.Request{Language: py, Files: []sandbox.File{{Content: []byte("print(1)")}},
			Stdout: io.Discard, Stderr: io.Discard, Images: func(sandbox.Image) {}})
		if err != nil || res.Status != sandbox.StatusSuccess {
			b.Fatalf("%v %+v", err, res)
		}
	}
}
