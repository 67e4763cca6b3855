package ratelimit

import (
	"context"
	"sync"
	"time"
)

// minSweepSize keeps tiny maps from being swept on every insert.
const minSweepSize = 1024

// Memory is the in-process Limiter. Its quota is per replica, so it is only
// correct when runblock runs as a single instance.
type Memory struct {
	now        func() time.Time
	epoch      time.Time
	sweepEvery time.Duration

	mu        sync.Mutex
	tats      map[string]time.Duration // TAT as an offset from epoch
	lastSweep time.Duration
	sweepAt   int
}

// Option configures NewMemory.
type Option func(*Memory)

// WithClock replaces time.Now so tests can step time deterministically.
func WithClock(now func() time.Time) Option { return func(m *Memory) { m.now = now } }

// WithSweepInterval sets how often expired keys are dropped even when the
// map is not growing, so memory is released after a burst of new users.
func WithSweepInterval(d time.Duration) Option { return func(m *Memory) { m.sweepEvery = d } }

// NewMemory returns an empty in-memory limiter.
func NewMemory(opts ...Option) *Memory {
	m := &Memory{
		now:        time.Now,
		sweepEvery: time.Minute,
		tats:       make(map[string]time.Duration),
		sweepAt:    minSweepSize,
	}
	for _, o := range opts {
		o(m)
	}
	m.epoch = m.now()
	return m
}

// Allow implements Limiter.
func (m *Memory) Allow(ctx context.Context, key string, l Limit) (Decision, error) {
	return m.take(ctx, key, l, 1)
}

// Peek implements Limiter.
func (m *Memory) Peek(ctx context.Context, key string, l Limit) (Decision, error) {
	return m.take(ctx, key, l, 0)
}

// Len reports how many keys hold state; useful as a gauge and to check that
// eviction keeps up.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tats)
}

// take mirrors redis_rate's allowN script so both backends decide alike.
func (m *Memory) take(ctx context.Context, key string, l Limit, cost int) (Decision, error) {
	if err := l.Validate(); err != nil {
		return Decision{}, err
	}
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	ei := l.interval()
	burst := ei * time.Duration(l.Rate)

	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().Sub(m.epoch)
	m.maybeSweep(now)

	tat, ok := m.tats[key]
	if !ok || tat < now {
		tat = now
	}
	if cost == 0 {
		return peekDecision(l, tat-now, 0), nil
	}
	newTAT := tat + ei*time.Duration(cost)
	if newTAT-burst > now {
		return decide(l, false, tat-now, 0), nil
	}
	m.tats[key] = newTAT
	return decide(l, true, newTAT-now, 0), nil
}

// maybeSweep drops keys whose TAT has passed: their state equals that of a
// key never seen. Sweeping when the map doubles keeps the cost amortised
// O(1) per call and the map within twice the number of live keys.
func (m *Memory) maybeSweep(now time.Duration) {
	if len(m.tats) < m.sweepAt && now-m.lastSweep < m.sweepEvery {
		return
	}
	for k, tat := range m.tats {
		if tat <= now {
			delete(m.tats, k)
		}
	}
	m.lastSweep = now
	m.sweepAt = max(2*len(m.tats), minSweepSize)
}
