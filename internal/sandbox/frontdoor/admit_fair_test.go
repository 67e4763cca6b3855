package frontdoor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/sandbox/admission"
)

func TestFairAdmitterAnswersForClients(t *testing.T) {
	f, err := NewFairAdmitter(admission.Config{Slots: 1, MaxWaiting: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	release, err := f.Admit(ctx, Ticket{User: "a", Kind: KindRun}, nil)
	if err != nil {
		t.Fatal(err)
	}
	queued := make(chan int, 4)
	first := make(chan error, 1)
	go func() {
		_, err := f.Admit(ctx, Ticket{User: "b", Kind: KindRun}, func(pos int, _ time.Duration) { queued <- pos })
		first <- err
	}()
	if pos := <-queued; pos != 1 {
		t.Fatalf("queued at %d", pos)
	}
	// The line is full: 503 with a Retry-After from the drain rate.
	_, err = f.Admit(ctx, Ticket{User: "c", Kind: KindRun}, nil)
	if e := busyErr(t, err); e.RetryAfter < time.Second {
		t.Fatalf("Retry-After %s", e.RetryAfter)
	}
	// b presses Run again: the waiting run is replaced, which is no 503.
	second := make(chan error, 1)
	go func() {
		r, err := f.Admit(ctx, Ticket{User: "b", Kind: KindRun}, nil)
		if err == nil {
			r()
		}
		second <- err
	}()
	var e *apperr.Error
	if err := <-first; !errors.As(err, &e) || e.Kind != apperr.Conflict || e.Code != "replaced" {
		t.Fatalf("replaced run: %v", err)
	}
	// Probes pass while the line is full.
	rp, err := f.Admit(ctx, Ticket{Kind: KindProbe}, nil)
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	rp()
	if st := f.Stats(); st.Running != 1 || st.Waiting != 1 || st.Slots != 1 || st.DrainRate <= 0 {
		t.Fatalf("stats %+v", st)
	}
	release()
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	// Giving up while waiting is "cancelled", still a Busy kind.
	release, _ = f.Admit(ctx, Ticket{User: "a", Kind: KindRun}, nil)
	defer release()
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		for f.Stats().Waiting == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err = f.Admit(cctx, Ticket{User: "d", Kind: KindCheck}, nil)
	if e := busyErr(t, err); e.Code != "cancelled" || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %+v", e)
	}
}
