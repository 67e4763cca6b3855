package validate

import (
	"context"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

func TestWarmPoolGivesSameVerdictsAndCleansUp(t *testing.T) {
	before := runtime.NumGoroutine()
	cold := newHostValidator(t, Options{})
	warm := newHostValidator(t, Options{Warm: 2})
	for _, code := range []string{"print(1)", "import os", "while True:\n    pass", "print(1", "eval('1')"} {
		a := validate(t, cold, Request{Code: code})
		// Give the pool time to refill so the warm path is the one taken.
		time.Sleep(100 * time.Millisecond)
		b := validate(t, warm, Request{Code: code})
		if a.Valid != b.Valid || a.PolicyViolation != b.PolicyViolation || len(a.Errors) != len(b.Errors) || len(a.Warnings) != len(b.Warnings) {
			t.Fatalf("%q: cold %+v, warm %+v", code, a, b)
		}
	}
	warm.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines %d → %d after Close", before, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A checker that never answers is cut off at the limit, not waited on.
func TestWarmCheckerTimeout(t *testing.T) {
	var started atomic.Int32
	p := newWarmPool(1, time.Minute, func(ctx context.Context, stdin io.Reader, out *checkerOutput) (sandbox.Result, error) {
		started.Add(1)
		<-ctx.Done() // never reads its input
		return sandbox.Result{Status: sandbox.StatusCancelled}, nil
	})
	defer p.close()
	var w *warmChecker
	for w == nil {
		w = p.take()
		time.Sleep(time.Millisecond)
	}
	_, res, err := w.check(context.Background(), []byte(`{}`), 50*time.Millisecond)
	if err != nil || res.Status != sandbox.StatusTimeout {
		t.Fatalf("res %+v err %v", res, err)
	}
	// Old checkers are retired instead of used.
	p.maxAge = 0
	time.Sleep(10 * time.Millisecond)
	if w := p.take(); w != nil {
		t.Fatal("a checker past its age was handed out")
	}
}
