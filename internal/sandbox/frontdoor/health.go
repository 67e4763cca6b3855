package frontdoor

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

type logger = *slog.Logger

// refillHealth notices a pool whose sandboxes die before they are used (a
// broken backend, no capacity) and backs off, logging once per episode:
// requests then start cold, which still works or fails on its own terms.
type refillHealth struct {
	mu       sync.Mutex
	log      logger
	name     string
	failures int
	next     time.Time // no new sandbox before this, after failures
}

// hold waits out the back-off after failures; false when ctx ended.
func (h *refillHealth) hold(ctx context.Context) bool {
	h.mu.Lock()
	wait := time.Until(h.next)
	h.mu.Unlock()
	if wait <= 0 {
		return true
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(wait):
		return true
	}
}

func (h *refillHealth) ok() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failures > 0 {
		h.log.Info("warm pool refills again", "pool", h.name)
	}
	h.failures = 0
}

// failed notes a sandbox that could not be started and waits before the
// next try; false when ctx ended meanwhile. No free capacity is not a
// failure: the pool waits a moment for a run to end.
func (h *refillHealth) failed(ctx context.Context, err error) bool {
	wait := 100 * time.Millisecond
	if !errors.Is(err, sandbox.ErrBusy) {
		wait = h.count(err)
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(wait):
		return true
	}
}

// died notes a warm sandbox found dead before its use.
func (h *refillHealth) died() { h.count(errors.New("a warm sandbox ended before its run")) }

func (h *refillHealth) count(err error) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures++
	if h.failures == 1 {
		h.log.Warn("warm pool can't start sandboxes; requests start cold until it can", "pool", h.name, "err", err)
	}
	wait := min(time.Duration(h.failures)*time.Second, 30*time.Second)
	h.next = time.Now().Add(wait)
	return wait
}
