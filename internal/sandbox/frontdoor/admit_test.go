package frontdoor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/sandbox"
)

func busyErr(t *testing.T, err error) *apperr.Error {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.Busy || !errors.Is(err, sandbox.ErrBusy) {
		t.Fatalf("want a Busy error wrapping sandbox.ErrBusy, got %v", err)
	}
	return e
}

func TestSimpleAdmitterBoundsRunningAndWaiting(t *testing.T) {
	q := NewSimpleAdmitter(1, 1, 1, time.Minute)
	ctx := context.Background()
	release, err := q.Admit(ctx, Ticket{Kind: KindRun}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One may wait; it hears its place in the queue.
	positions := make(chan int, 4)
	got := make(chan error, 1)
	go func() {
		r, err := q.Admit(ctx, Ticket{User: "b", Kind: KindCheck}, func(pos int, _ time.Duration) { positions <- pos })
		if err == nil {
			r()
		}
		got <- err
	}()
	if pos := <-positions; pos != 1 {
		t.Fatalf("first waiter at position %d", pos)
	}
	// A second waiter finds the queue full: refused at once, with a retry hint.
	if e := busyErr(t, func() error { _, err := q.Admit(ctx, Ticket{Kind: KindRun}, nil); return err }()); e.RetryAfter <= 0 {
		t.Fatalf("no Retry-After: %+v", e)
	}
	// Probes have their own reserve: they pass while runs fill every slot.
	rp, err := q.Admit(ctx, Ticket{Kind: KindProbe}, nil)
	if err != nil {
		t.Fatalf("probe refused while runs are busy: %v", err)
	}
	busyErr(t, func() error { _, err := q.Admit(ctx, Ticket{Kind: KindProbe}, nil); return err }())
	rp()
	if st := q.Stats(); st.Running != 1 || st.Waiting != 1 {
		t.Fatalf("stats %+v", st)
	}
	release()
	release() // twice is harmless
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if st := q.Stats(); st.Running != 0 || st.Waiting != 0 || st.DrainRate <= 0 {
		t.Fatalf("stats after: %+v", st)
	}
}

func TestSimpleAdmitterWaitIsBounded(t *testing.T) {
	q := NewSimpleAdmitter(1, 4, 1, 50*time.Millisecond)
	release, err := q.Admit(context.Background(), Ticket{Kind: KindRun}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	_, err = q.Admit(context.Background(), Ticket{Kind: KindRun}, nil)
	busyErr(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = q.Admit(ctx, Ticket{Kind: KindRun}, nil)
	busyErr(t, err)
}
