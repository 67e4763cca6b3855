package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/ratelimit/ratelimittest"
)

func TestMemoryConformance(t *testing.T) {
	ratelimittest.Run(t, func(*testing.T) ratelimit.Limiter { return ratelimit.NewMemory() })
}

// fakeClock is advanced by hand so GCRA's arithmetic can be checked exactly.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestMemoryExactTiming(t *testing.T) {
	clock := newFakeClock()
	m := ratelimit.NewMemory(ratelimit.WithClock(clock.Now))
	ctx := context.Background()
	l := ratelimit.PerMinute(10)

	for i := 1; i <= 10; i++ {
		d, err := m.Allow(ctx, "u", l)
		if err != nil {
			t.Fatal(err)
		}
		want := ratelimit.Decision{Allowed: true, Limit: 10, Remaining: 10 - i, Used: i, ResetAfter: time.Duration(i) * 6 * time.Second}
		if d != want {
			t.Fatalf("call %d: got %+v, want %+v", i, d, want)
		}
	}
	refused := ratelimit.Decision{Limit: 10, Used: 10, RetryAfter: 6 * time.Second, ResetAfter: time.Minute}
	if d, _ := m.Allow(ctx, "u", l); d != refused {
		t.Fatalf("11th: got %+v, want %+v", d, refused)
	}
	if d, _ := m.Peek(ctx, "u", l); d != refused {
		t.Fatalf("Peek when exhausted: got %+v, want %+v", d, refused)
	}

	clock.Advance(6*time.Second - time.Nanosecond)
	if d, _ := m.Allow(ctx, "u", l); d.Allowed || d.RetryAfter != time.Nanosecond {
		t.Fatalf("1ns before refill: got %+v, want refused with RetryAfter 1ns", d)
	}
	clock.Advance(time.Nanosecond)
	if d, _ := m.Allow(ctx, "u", l); !d.Allowed || d.Remaining != 0 || d.ResetAfter != time.Minute {
		t.Fatalf("at refill: got %+v, want allowed with Remaining 0", d)
	}

	clock.Advance(time.Minute)
	full := ratelimit.Decision{Allowed: true, Limit: 10, Remaining: 10}
	if d, _ := m.Peek(ctx, "u", l); d != full {
		t.Fatalf("after a minute idle: got %+v, want %+v", d, full)
	}
}

func TestMemoryEvictsExpiredKeys(t *testing.T) {
	clock := newFakeClock()
	m := ratelimit.NewMemory(ratelimit.WithClock(clock.Now), ratelimit.WithSweepInterval(time.Hour))
	ctx := context.Background()
	l := ratelimit.PerMinute(10)

	// One event at 10/min holds a key for 6 s. With the interval trigger
	// out of the way, growth alone must trigger sweeps, so the map never
	// holds more than about twice the live keys.
	const perStep = 500
	peak := 0
	for step := range 100 {
		for i := range perStep {
			if _, err := m.Allow(ctx, fmt.Sprintf("user-%d-%d", step, i), l); err != nil {
				t.Fatal(err)
			}
			peak = max(peak, m.Len())
		}
		clock.Advance(time.Second)
	}
	// Live keys span at most 7 steps of 1 s.
	if limit := 2 * 8 * perStep; peak > limit {
		t.Fatalf("peak keys = %d, want <= %d: expired keys are not evicted", peak, limit)
	}

	// The interval trigger releases keys even without new inserts.
	m = ratelimit.NewMemory(ratelimit.WithClock(clock.Now), ratelimit.WithSweepInterval(time.Minute))
	for i := range 100 {
		m.Allow(ctx, fmt.Sprint("idle-", i), l)
	}
	clock.Advance(2 * time.Minute)
	m.Peek(ctx, "idle-0", l)
	if n := m.Len(); n != 0 {
		t.Fatalf("after interval sweep Len = %d, want 0", n)
	}
}

func TestMemoryHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := ratelimit.NewMemory()
	if _, err := m.Allow(ctx, "u", ratelimit.PerMinute(10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Allow with cancelled ctx: err = %v, want context.Canceled", err)
	}
	if d, _ := m.Peek(context.Background(), "u", ratelimit.PerMinute(10)); d.Remaining != 10 {
		t.Fatalf("cancelled Allow consumed quota: %+v", d)
	}
}
