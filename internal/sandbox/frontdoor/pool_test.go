package frontdoor

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// liveRuntime counts sandboxes alive at once. Each takes `start` to become
// ready (it then waits on stdin) and ends when its stdin closes.
type liveRuntime struct {
	start      time.Duration
	live, peak atomic.Int32
	started    atomic.Int32
}

func (r *liveRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	r.started.Add(1)
	n := r.live.Add(1)
	defer r.live.Add(-1)
	for {
		p := r.peak.Load()
		if n <= p || r.peak.CompareAndSwap(p, n) {
			break
		}
	}
	select {
	case <-time.After(r.start):
	case <-ctx.Done():
		return sandbox.Result{Status: sandbox.StatusCancelled}, nil
	}
	eof := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, req.Stdin); close(eof) }()
	select {
	case <-eof:
		return sandbox.Result{Status: sandbox.StatusSuccess}, nil
	case <-ctx.Done():
		return sandbox.Result{Status: sandbox.StatusCancelled}, nil
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Idle, a pool holds exactly Size sandboxes, never one more (its capacity
// is counted in the backend's slots).
func TestPoolHoldsNoMoreThanItsSize(t *testing.T) {
	rt := &liveRuntime{}
	p := newPool(PoolSpec{Template: checker, Size: 3, MaxAge: time.Minute}, rt, slog.New(slog.DiscardHandler))
	defer p.close()
	waitFor(t, "a full pool", func() bool { return len(p.ready) == 3 })
	time.Sleep(50 * time.Millisecond)
	if peak := rt.peak.Load(); peak != 3 {
		t.Fatalf("peak %d sandboxes for a pool of 3", peak)
	}
}

// Taking sandboxes starts their replacements at once, all together, while
// the taken ones still run: back-to-back requests find the pool refilled
// after one start-up time, not after one per sandbox.
func TestPoolRefillsInParallel(t *testing.T) {
	rt := &liveRuntime{start: 100 * time.Millisecond}
	p := newPool(PoolSpec{Template: checker, Size: 2, MaxAge: time.Minute}, rt, slog.New(slog.DiscardHandler))
	defer p.close()
	waitFor(t, "a full pool", func() bool { return len(p.ready) == 2 })
	a, b := p.take(), p.take()
	if a == nil || b == nil {
		t.Fatal("a full pool handed out nothing")
	}
	// a and b still run (their stdin is open); both replacements start.
	waitFor(t, "two replacements", func() bool { return rt.started.Load() == 4 })
	if live := rt.live.Load(); live != 4 {
		t.Fatalf("%d sandboxes alive, want the 2 taken + 2 starting", live)
	}
	a.discard()
	b.discard()
}
