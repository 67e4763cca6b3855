package admission

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Queue admits tickets to a fixed number of slots, fairly; see the package
// comment. It is safe for concurrent use.
type Queue struct {
	cfg Config

	mu          sync.Mutex
	line        *list.List // of *waiter, arrival order
	running     [nClasses]int
	waiting     [nClasses]int
	userRunning map[userClass]int
	userWaiting map[userClass]int
	svc         [nClasses]serviceTime
}

type userClass struct {
	user string
	cls  class
}

type state int

const (
	waiting state = iota
	granted
	ended // refused, replaced, expired or cancelled
)

type waiter struct {
	t     Ticket
	cls   class
	elem  *list.Element
	state state
	err   error
	pos   int
	eta   time.Duration
	start time.Time // when granted
	stop  func() bool
	moved chan struct{} // buffered(1): position changed since last look
	done  chan struct{} // closed when state leaves waiting
}

// New returns a queue sized by cfg.
func New(cfg Config) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	q := &Queue{
		cfg:         cfg,
		line:        list.New(),
		userRunning: map[userClass]int{},
		userWaiting: map[userClass]int{},
	}
	q.svc[heavy].avg = cfg.InitialRunTime
	q.svc[light].avg = cfg.InitialCheckTime
	return q, nil
}

// Admit waits until t may hold a slot and returns the func that gives it
// back (safe to call more than once). It fails with a *BusyError when the
// line is full or the wait is too long, ErrReplaced when a newer ticket of
// the same user took its place, or ctx's error; in every failure the ticket
// has left the line. onQueued (may be nil) is called in the caller's
// goroutine with the 1-based position among waiting tickets of its class and
// an estimated wait, first when the ticket starts waiting and then each time
// the position changes (positions only ever go down).
func (q *Queue) Admit(ctx context.Context, t Ticket, onQueued func(position int, eta time.Duration)) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &waiter{t: t, cls: t.Kind.class(), moved: make(chan struct{}, 1), done: make(chan struct{})}
	q.mu.Lock()
	if q.eligible(w) {
		q.grantLocked(w)
		q.mu.Unlock()
		return q.releaser(w), nil
	}
	if err := q.enqueueLocked(w); err != nil {
		q.mu.Unlock()
		return nil, err
	}
	q.dispatchLocked()
	pos, eta, st := w.pos, w.eta, w.state
	q.mu.Unlock()
	if st == waiting && onQueued != nil {
		onQueued(pos, eta)
	}
	last := pos
	for {
		select {
		case <-w.done:
			return q.result(w)
		case <-w.moved:
			q.mu.Lock()
			pos, eta, st := w.pos, w.eta, w.state
			q.mu.Unlock()
			if st == waiting && pos < last && onQueued != nil {
				onQueued(pos, eta)
				last = pos
			}
		case <-ctx.Done():
			q.mu.Lock()
			if w.state == waiting {
				q.removeLocked(w)
				q.endLocked(w, ctx.Err())
				q.dispatchLocked()
				q.mu.Unlock()
				return nil, ctx.Err()
			}
			q.mu.Unlock()
			// Granted (or ended) in the same instant: don't hold a slot
			// nobody will use.
			release, err := q.result(w)
			if release != nil {
				release()
			}
			if err != nil {
				return nil, err
			}
			return nil, ctx.Err()
		}
	}
}

func (q *Queue) result(w *waiter) (func(), error) {
	if w.err != nil {
		return nil, w.err
	}
	return q.releaser(w), nil
}

// enqueueLocked puts w in line: in the place of its user's oldest waiting
// ticket of the class when the user has no waiting place left (that one is
// replaced), else at the back unless the line is full or too slow.
func (q *Queue) enqueueLocked(w *waiter) error {
	uc := userClass{w.t.User, w.cls}
	if w.t.User != "" && q.userWaiting[uc] >= q.cfg.PerUserWaiting {
		for e := q.line.Front(); e != nil; e = e.Next() {
			old := e.Value.(*waiter)
			if old.t.User == w.t.User && old.cls == w.cls {
				w.elem = q.line.InsertBefore(w, e)
				q.removeLocked(old)
				q.endLocked(old, ErrReplaced)
				q.addWaitingLocked(w)
				return nil
			}
		}
	}
	ahead := q.waiting[w.cls]
	if ahead >= q.cfg.MaxWaiting {
		return q.busyLocked(w.cls, "the line is full")
	}
	if q.svc[w.cls].samples >= minSamples && wait(ahead+1, q.rateLocked(w.cls)) > q.cfg.MaxWait {
		return q.busyLocked(w.cls, "the wait would be too long")
	}
	w.elem = q.line.PushBack(w)
	q.addWaitingLocked(w)
	return nil
}

func (q *Queue) addWaitingLocked(w *waiter) {
	q.waiting[w.cls]++
	q.userWaiting[userClass{w.t.User, w.cls}]++
	w.stop = q.cfg.Clock.AfterFunc(q.cfg.MaxWait, func() { q.expire(w) })
}

// busyLocked refuses with the time the backlog seen now should take to
// drain: come back when the tickets in front of you have been served.
func (q *Queue) busyLocked(c class, reason string) *BusyError {
	return &BusyError{Reason: reason, RetryAfter: clampRetry(wait(q.waiting[c], q.rateLocked(c)))}
}

func (q *Queue) expire(w *waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.state != waiting {
		return
	}
	q.removeLocked(w)
	q.endLocked(w, q.busyLocked(w.cls, "no slot became free in time"))
	q.dispatchLocked()
}

// removeLocked takes a waiting w out of the line.
func (q *Queue) removeLocked(w *waiter) {
	q.line.Remove(w.elem)
	q.waiting[w.cls]--
	uc := userClass{w.t.User, w.cls}
	if q.userWaiting[uc]--; q.userWaiting[uc] <= 0 {
		delete(q.userWaiting, uc)
	}
	if w.stop != nil {
		w.stop()
	}
}

func (q *Queue) endLocked(w *waiter, err error) {
	w.state, w.err = ended, err
	close(w.done)
}

func (q *Queue) capacity(c class) int {
	if c == light {
		return q.cfg.LightMax
	}
	return q.cfg.Slots - q.cfg.LightReserved
}

func (q *Queue) eligible(w *waiter) bool {
	if q.running[heavy]+q.running[light] >= q.cfg.Slots || q.running[w.cls] >= q.capacity(w.cls) {
		return false
	}
	return w.t.User == "" || q.userRunning[userClass{w.t.User, w.cls}] < q.cfg.PerUserRunning
}

func (q *Queue) grantLocked(w *waiter) {
	q.running[w.cls]++
	q.userRunning[userClass{w.t.User, w.cls}]++
	w.state, w.start = granted, q.cfg.Clock.Now()
	close(w.done)
}

// dispatchLocked grants every waiting ticket that may start, checks first
// (they are short and capped at LightMax), each class in arrival order (a
// ticket held back by its class or user cap doesn't block those behind it),
// then tells each waiter whose position changed.
func (q *Queue) dispatchLocked() {
	for _, c := range []class{light, heavy} {
		for e := q.line.Front(); e != nil && q.running[heavy]+q.running[light] < q.cfg.Slots; {
			next := e.Next()
			if w := e.Value.(*waiter); w.cls == c && q.eligible(w) {
				q.removeLocked(w)
				q.grantLocked(w)
			}
			e = next
		}
	}
	var ahead [nClasses]int
	var rate [nClasses]float64
	for c := range nClasses {
		rate[c] = q.rateLocked(c)
	}
	for e := q.line.Front(); e != nil; e = e.Next() {
		w := e.Value.(*waiter)
		ahead[w.cls]++
		if pos := ahead[w.cls]; pos != w.pos {
			w.pos, w.eta = pos, wait(pos, rate[w.cls])
			select {
			case w.moved <- struct{}{}:
			default:
			}
		}
	}
}

func (q *Queue) releaser(w *waiter) func() {
	var once sync.Once
	return func() { once.Do(func() { q.release(w) }) }
}

func (q *Queue) release(w *waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running[w.cls]--
	uc := userClass{w.t.User, w.cls}
	if q.userRunning[uc]--; q.userRunning[uc] <= 0 {
		delete(q.userRunning, uc)
	}
	q.svc[w.cls].add(q.cfg.Clock.Now().Sub(w.start))
	q.dispatchLocked()
}

func (q *Queue) rateLocked(c class) float64 {
	return q.svc[c].drainRate(q.capacity(c))
}

// Stats is a snapshot for metrics and readiness.
type Stats struct {
	Slots     int
	Running   int     // tickets holding a slot, all kinds
	Waiting   int     // tickets in line, all kinds
	DrainRate float64 // runs finished per second with every run slot busy
	// RetryAfter is what a run refused now would be told.
	RetryAfter time.Duration
}

// Stats reports the queue's current state.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return Stats{
		Slots:      q.cfg.Slots,
		Running:    q.running[heavy] + q.running[light],
		Waiting:    q.waiting[heavy] + q.waiting[light],
		DrainRate:  q.rateLocked(heavy),
		RetryAfter: q.busyLocked(heavy, "").RetryAfter,
	}
}
