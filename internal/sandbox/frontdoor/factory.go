package frontdoor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/admission"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
)

// Options build a front door and its backend from the configuration.
type Options struct {
	Runtime string       // which backend: "bwrap" (the only one today)
	Bwrap   bwrap.Config // used when Runtime is bwrap; its Slots are set here
	// Admission: MaxConcurrent sandboxes at once, MaxQueue more waiting up
	// to QueueWait in a fair queue with PerUserRunning running and
	// PerUserWaiting waiting per user (0: 1 each); ProbeSlots (default 4)
	// kept for readiness and probes.
	MaxConcurrent  int
	MaxQueue       int
	QueueWait      time.Duration
	PerUserRunning int
	PerUserWaiting int
	ProbeSlots     int
	// WarmSlots is the backend capacity set aside for pools (AddPool):
	// every idle warm sandbox holds one.
	WarmSlots int
	Logger    *slog.Logger
}

// Open picks the backend named by o.Runtime, sized so that admitted
// sandboxes plus warm ones always fit, and puts the front door over it.
func Open(ctx context.Context, o Options) (*FrontDoor, error) {
	if o.ProbeSlots <= 0 {
		o.ProbeSlots = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	waiting := o.MaxQueue
	if waiting == 0 {
		waiting = -1 // max_queue 0: nobody waits (the admission default is hundreds)
	}
	adm, err := NewFairAdmitter(admission.Config{
		Slots: o.MaxConcurrent, MaxWaiting: waiting, MaxWait: o.QueueWait,
		PerUserRunning: o.PerUserRunning, PerUserWaiting: o.PerUserWaiting,
	}, o.ProbeSlots)
	if err != nil {
		return nil, err
	}
	backend, err := NewBackend(ctx, o.Runtime, o.Bwrap, o.MaxConcurrent+o.ProbeSlots+o.WarmSlots, o.Logger)
	if err != nil {
		return nil, err
	}
	return New(Config{Backend: backend, Admitter: adm, Logger: o.Logger})
}

// NewBackend starts the named runtime with room for slots sandboxes at
// once. The next runtimes plug in here.
func NewBackend(ctx context.Context, name string, bw bwrap.Config, slots int, log *slog.Logger) (sandbox.Runtime, error) {
	switch name {
	case "", "bwrap":
		bw.Slots = slots
		bw.Logger = log
		rt, err := bwrap.New(ctx, bw)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		return rt, nil
	}
	return nil, fmt.Errorf("sandbox: unknown runtime %q (available: bwrap)", name)
}

// Describe names the backend for people ("bwrap (cgroups v2)").
func (f *FrontDoor) Describe() string {
	if d, ok := f.backend.(interface{ Describe() string }); ok {
		return d.Describe()
	}
	return fmt.Sprintf("%T", f.backend)
}
