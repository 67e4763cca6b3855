package execute

import (
	"context"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/apperr"
)

// queue bounds both the runs executing at once and the runs waiting for a
// slot, so overload is refused fast (503 + Retry-After) instead of piling up.
type queue struct {
	slots   chan struct{}
	mu      sync.Mutex
	waiting int
	maxWait int
	timeout time.Duration
}

func newQueue(concurrent, maxWaiting int, timeout time.Duration) *queue {
	return &queue{slots: make(chan struct{}, concurrent), maxWait: maxWaiting, timeout: timeout}
}

// acquire returns a release func, or a Busy error when the queue is full or
// the wait for a slot is too long.
func (q *queue) acquire(ctx context.Context) (func(), error) {
	select {
	case q.slots <- struct{}{}:
		return q.release, nil
	default:
	}
	q.mu.Lock()
	if q.waiting >= q.maxWait {
		q.mu.Unlock()
		return nil, q.busy("the run queue is full")
	}
	q.waiting++
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.waiting--
		q.mu.Unlock()
	}()
	timer := time.NewTimer(q.timeout)
	defer timer.Stop()
	select {
	case q.slots <- struct{}{}:
		return q.release, nil
	case <-timer.C:
		return nil, q.busy("no sandbox became free in time")
	case <-ctx.Done():
		return nil, apperr.New(apperr.Busy, "cancelled", "request ended while waiting for a sandbox")
	}
}

func (q *queue) release() { <-q.slots }

func (q *queue) busy(msg string) error {
	e := apperr.New(apperr.Busy, "busy", "server is busy: %s; try again shortly", msg)
	e.RetryAfter = 2 * time.Second
	return e
}

// stats reports running and waiting runs (for metrics and /readyz).
func (q *queue) stats() (running, waiting int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.slots), q.waiting
}
