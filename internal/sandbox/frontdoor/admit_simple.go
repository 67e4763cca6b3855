package frontdoor

import (
	"context"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/sandbox"
)

// SimpleAdmitter bounds both the sandboxes running at once and the tickets
// waiting for a slot, so overload is refused fast (503 + Retry-After)
// instead of piling up. Waiters are served in no particular order; probes
// use a reserve of their own and never queue.
type SimpleAdmitter struct {
	slots   chan struct{}
	probes  chan struct{}
	mu      sync.Mutex
	waiting int
	maxWait int
	timeout time.Duration
	drain   rate
}

// NewSimpleAdmitter admits concurrent tickets at once, lets maxWaiting more
// wait up to timeout each, and keeps probeSlots for probes.
func NewSimpleAdmitter(concurrent, maxWaiting, probeSlots int, timeout time.Duration) *SimpleAdmitter {
	return &SimpleAdmitter{
		slots: make(chan struct{}, max(concurrent, 1)), probes: make(chan struct{}, max(probeSlots, 1)),
		maxWait: maxWaiting, timeout: timeout,
	}
}

// Admit implements Admitter.
func (q *SimpleAdmitter) Admit(ctx context.Context, t Ticket, onQueued func(int, time.Duration)) (func(), error) {
	if t.Kind == KindProbe {
		select {
		case q.probes <- struct{}{}:
			return func() { <-q.probes }, nil
		default:
			return nil, busy("too many probes at once")
		}
	}
	select {
	case q.slots <- struct{}{}:
		return q.releaser(), nil
	default:
	}
	q.mu.Lock()
	if q.waiting >= q.maxWait {
		q.mu.Unlock()
		return nil, busy("the run queue is full")
	}
	q.waiting++
	pos := q.waiting
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.waiting--
		q.mu.Unlock()
	}()
	if onQueued != nil {
		// Without an order among waiters the position is a bound, not a
		// promise; the fair queue replaces this.
		onQueued(pos, q.eta(pos))
	}
	timer := time.NewTimer(q.timeout)
	defer timer.Stop()
	select {
	case q.slots <- struct{}{}:
		return q.releaser(), nil
	case <-timer.C:
		return nil, busy("no sandbox became free in time")
	case <-ctx.Done():
		e := apperr.New(apperr.Busy, "cancelled", "request ended while waiting for a sandbox")
		e.Err = sandbox.ErrBusy
		return nil, e
	}
}

func (q *SimpleAdmitter) releaser() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			<-q.slots
			q.drain.tick(time.Now())
		})
	}
}

func (q *SimpleAdmitter) eta(pos int) time.Duration {
	r := q.drain.perSecond(time.Now())
	if r <= 0 {
		return 0
	}
	return time.Duration(float64(pos) / r * float64(time.Second))
}

// Stats implements Admitter.
func (q *SimpleAdmitter) Stats() AdmitStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return AdmitStats{Slots: cap(q.slots), Running: len(q.slots), Waiting: q.waiting, DrainRate: q.drain.perSecond(time.Now()), RetryAfter: 2 * time.Second}
}

func busy(msg string) error {
	e := apperr.New(apperr.Busy, "busy", "server is busy: %s; try again shortly", msg)
	e.RetryAfter = 2 * time.Second
	e.Err = sandbox.ErrBusy
	return e
}

// rate counts events over the last window, for a drain-rate estimate.
type rate struct {
	mu     sync.Mutex
	events []time.Time
}

const rateWindow = 30 * time.Second

func (r *rate) tick(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trim(now)
	r.events = append(r.events, now)
}

func (r *rate) perSecond(now time.Time) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trim(now)
	return float64(len(r.events)) / rateWindow.Seconds()
}

func (r *rate) trim(now time.Time) {
	i := 0
	for i < len(r.events) && now.Sub(r.events[i]) > rateWindow {
		i++
	}
	r.events = r.events[i:]
	if len(r.events) > 4096 {
		r.events = r.events[len(r.events)-4096:]
	}
}
