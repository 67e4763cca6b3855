package bwrap_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

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

// With every uid in use, a run waits for one only so long, then fails with
// sandbox.ErrBusy instead of hanging for as long as its caller lets it.
func TestUIDWaitIsBounded(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{Slots: 1, SlotWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	py := config.DefaultLanguages()["python"]
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = rt.Run(ctx, sandbox.Request{Language: py, Files: []sandbox.File{{Content: []byte("print('up', flush=True)\nimport time\ntime.sleep(60)")}},
			Stdout: writerFunc(func(p []byte) {
				select {
				case <-started:
				default:
					close(started)
				}
			})})
	}()
	<-started
	wait, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	_, err = rt.Run(wait, sandbox.Request{Language: py, Files: []sandbox.File{{Content: []byte("print(1)")}}})
	if !errors.Is(err, sandbox.ErrBusy) {
		t.Fatalf("second run while the only uid is taken: %v", err)
	}
	cancel()
	<-done
}

type writerFunc func([]byte)

func (w writerFunc) Write(p []byte) (int, error) { w(p); return len(p), nil }

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
