package frontdoor

import (
	"context"
	"log/slog"
	"time"
)

type logger = *slog.Logger

// refillHealth notices a pool whose sandboxes die before they are used (a
// broken backend, no capacity) and backs off, logging once per episode:
// requests then start cold, which still works or fails on its own terms.
type refillHealth struct {
	log      logger
	name     string
	failures int
}

// settle waits until a just-started sandbox has lived a moment (healthy) or
// died (a failure, then backs off). False when the pool is closing.
func (h *refillHealth) settle(ctx context.Context, done <-chan struct{}, taken func() bool) bool {
	select {
	case <-ctx.Done():
		return false
	case <-done:
		// Taken and used quickly is fine; dying unused is not.
		if taken() {
			h.ok()
			return true
		}
	case <-time.After(500 * time.Millisecond):
		h.ok()
		return true
	}
	h.failures++
	if h.failures == 1 {
		h.log.Warn("warm pool can't start sandboxes; requests start cold until it can", "pool", h.name)
	}
	wait := min(time.Duration(h.failures)*time.Second, 30*time.Second)
	select {
	case <-ctx.Done():
		return false
	case <-time.After(wait):
		return true
	}
}

func (h *refillHealth) ok() {
	if h.failures > 0 {
		h.log.Info("warm pool refills again", "pool", h.name)
	}
	h.failures = 0
}
