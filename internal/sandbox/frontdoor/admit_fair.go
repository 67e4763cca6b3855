package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/admission"
)

// FairAdmitter is the front door's admission: runs, compiles and checks
// wait in the fair queue of package admission (first come first served
// across users, a few places per user, Retry-After from the measured drain
// rate); probes keep a small reserve of their own outside it and never
// wait, so readiness answers however long the line is.
type FairAdmitter struct {
	q      *admission.Queue
	probes chan struct{}
}

var _ Admitter = (*FairAdmitter)(nil)

// NewFairAdmitter sizes the queue by cfg (cfg.Slots is the runs and checks
// at once) and keeps probeSlots for probes.
func NewFairAdmitter(cfg admission.Config, probeSlots int) (*FairAdmitter, error) {
	q, err := admission.New(cfg)
	if err != nil {
		return nil, err
	}
	return &FairAdmitter{q: q, probes: make(chan struct{}, max(probeSlots, 1))}, nil
}

// Admit implements Admitter.
func (f *FairAdmitter) Admit(ctx context.Context, t Ticket, onQueued func(int, time.Duration)) (func(), error) {
	if t.Kind == KindProbe {
		select {
		case f.probes <- struct{}{}:
			return func() { <-f.probes }, nil
		default:
			return nil, probesBusy()
		}
	}
	release, err := f.q.Admit(ctx, admission.Ticket{User: t.User, Kind: admissionKind(t.Kind)}, onQueued)
	if err != nil {
		return nil, admitError(err)
	}
	return release, nil
}

// Stats implements Admitter (probes are not counted).
func (f *FairAdmitter) Stats() AdmitStats {
	st := f.q.Stats()
	return AdmitStats{Running: st.Running, Waiting: st.Waiting, DrainRate: st.DrainRate, Slots: st.Slots, RetryAfter: st.RetryAfter}
}

func admissionKind(k Kind) admission.Kind {
	switch k {
	case KindCompile:
		return admission.Compile
	case KindCheck:
		return admission.Check
	case KindProbe:
		return admission.Probe
	}
	return admission.Run
}

// admitError classifies the queue's answers for clients: refused (503 with
// its Retry-After), replaced by the same user's newer run (409), or the
// caller gave up waiting.
func admitError(err error) error {
	var busy *admission.BusyError
	switch {
	case errors.As(err, &busy):
		return &apperr.Error{Kind: apperr.Busy, Code: "busy", RetryAfter: busy.RetryAfter, Err: err,
			Message: fmt.Sprintf("server is busy: %s; try again in %d s", busy.Reason, int(math.Ceil(busy.RetryAfter.Seconds())))}
	case errors.Is(err, admission.ErrReplaced):
		return &apperr.Error{Kind: apperr.Conflict, Code: "replaced", Err: err,
			Message: "replaced by a newer run: only your latest waiting run is kept"}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &apperr.Error{Kind: apperr.Busy, Code: "cancelled", Err: errors.Join(err, sandbox.ErrBusy),
			Message: "request ended while waiting for a sandbox"}
	}
	return &apperr.Error{Kind: apperr.Internal, Code: "admission_failed", Message: "admission failed", Err: err}
}

func probesBusy() error {
	e := apperr.New(apperr.Busy, "busy", "server is busy: too many probes at once; try again shortly")
	e.RetryAfter = time.Second
	e.Err = sandbox.ErrBusy
	return e
}
