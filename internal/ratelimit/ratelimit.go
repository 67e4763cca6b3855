// Package ratelimit decides whether a caller may start another execution.
//
// Both implementations use GCRA (the generic cell rate algorithm): per key
// they keep one timestamp, the theoretical arrival time (TAT) of the next
// event, so state is O(1) per user and a decision is a single comparison.
// Memory is the single-replica default; Redis shares the quota across
// replicas. ratelimittest holds the conformance suite both must pass.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limit allows Rate events per Period with a burst of Rate: a user who has
// been idle for a whole Period may spend the full quota at once.
type Limit struct {
	Rate   int
	Period time.Duration
}

// PerMinute is the shape of the seed default (10 executions per minute).
func PerMinute(rate int) Limit { return Limit{Rate: rate, Period: time.Minute} }

func (l Limit) String() string { return fmt.Sprintf("%d/%s", l.Rate, l.Period) }

// Validate rejects limits for which GCRA's emission interval would be zero
// or negative; such a limit would either admit everything or nothing.
func (l Limit) Validate() error {
	if l.Rate <= 0 || l.Period <= 0 || l.Period/time.Duration(l.Rate) <= 0 {
		return fmt.Errorf("%w: %s", ErrInvalidLimit, l)
	}
	return nil
}

// interval is GCRA's emission interval: the time one event "costs".
func (l Limit) interval() time.Duration { return l.Period / time.Duration(l.Rate) }

// Decision is what a caller reports to the client (429 body, X-RateLimit-*
// headers, GET /stats).
type Decision struct {
	Allowed    bool
	Limit      int
	Remaining  int
	Used       int           // approximate executions counted in the current period: Limit-Remaining
	RetryAfter time.Duration // 0 when allowed
	ResetAfter time.Duration // until the quota is full again
}

// Limiter is implemented by Memory and Redis.
type Limiter interface {
	// Allow consumes one unit of key's quota, but only when it is allowed.
	Allow(ctx context.Context, key string, l Limit) (Decision, error)
	// Peek reports what Allow would decide without consuming anything.
	Peek(ctx context.Context, key string, l Limit) (Decision, error)
}

var (
	// ErrUnavailable wraps backend failures so callers can choose to fail
	// open or closed, and so /readyz can tell a broken limiter apart.
	ErrUnavailable = errors.New("ratelimit: backend unavailable")
	// ErrInvalidLimit is a caller bug (bad configuration), not an outage.
	ErrInvalidLimit = errors.New("ratelimit: invalid limit")
)

// decide turns GCRA's one output that both backends share, the time until
// the key's TAT (resetAfter), into a full Decision. Deriving every field from
// it keeps Memory and Redis reporting identical numbers.
//
// slack absorbs rounding in the backend's clock arithmetic: Redis works in
// float seconds and stores the TAT with 14 significant digits (10 µs), and
// without slack a fresh key can report 8 of 10 remaining after one event.
func decide(l Limit, allowed bool, resetAfter, slack time.Duration) Decision {
	ei := l.interval()
	burst := ei * time.Duration(l.Rate)
	resetAfter = max(resetAfter, 0)
	remaining := 0
	if free := burst - resetAfter + slack; free > 0 {
		remaining = min(int(free/ei), l.Rate)
	}
	d := Decision{
		Allowed:    allowed,
		Limit:      l.Rate,
		Remaining:  remaining,
		Used:       l.Rate - remaining,
		ResetAfter: resetAfter,
	}
	if !allowed {
		d.Remaining, d.Used = 0, l.Rate
		// One unit frees up once the TAT is no further than burst-ei away.
		d.RetryAfter = max(resetAfter-(burst-ei), time.Nanosecond)
	}
	return d
}

// peekDecision is decide for a zero-cost query, where "allowed" means the
// next Allow would succeed.
func peekDecision(l Limit, resetAfter, slack time.Duration) Decision {
	d := decide(l, true, resetAfter, slack)
	if d.Remaining < 1 {
		return decide(l, false, resetAfter, slack)
	}
	return d
}
