package frontdoor

import (
	"context"
	"time"
)

// Kind is what a ticket asks a slot for. All kinds share one pool of
// slots except probes, which get a small reserve of their own so that
// readiness still answers when learners fill every slot.
type Kind string

const (
	KindRun     Kind = "run"
	KindCompile Kind = "compile" // compile steps run inside their run's slot today
	KindCheck   Kind = "check"   // policy checks and POST /validate
	KindProbe   Kind = "probe"   // readiness and the environments catalog
)

// Ticket is one request for a slot. User keys fairness (the caller's user
// id, or its quota key for anonymous callers); it may be empty.
type Ticket struct {
	User string
	Kind Kind
}

// AdmitStats describe the queue for metrics and /readyz.
type AdmitStats struct {
	Slots     int // runs and checks at once
	Running   int
	Waiting   int
	DrainRate float64 // runs finished per second with every slot busy
	// RetryAfter is what a run refused now would be told (0: not known).
	RetryAfter time.Duration
}

// Admitter decides when a sandbox may start.
type Admitter interface {
	// Admit waits for a slot for ticket t or fails with an error that wraps
	// sandbox.ErrBusy and carries a RetryAfter (an *apperr.Error of kind
	// Busy), or (fair queue) an *apperr.Error of kind Conflict, code
	// "replaced", when the same user's newer ticket took its place. onQueued (may be nil) is called with the caller's position
	// (1 = next) and an estimated wait whenever it changes.
	Admit(ctx context.Context, t Ticket, onQueued func(position int, eta time.Duration)) (release func(), err error)
	Stats() AdmitStats
}
