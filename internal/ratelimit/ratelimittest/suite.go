// Package ratelimittest is the conformance suite every ratelimit.Limiter
// must pass, so the in-memory default and Redis stay interchangeable.
package ratelimittest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/ratelimit"
)

// Long periods make refills (6 s apart) impossible mid-test, so counts are
// exact; short ones are only used where refilling is the point.
var (
	perMinute = ratelimit.Limit{Rate: 10, Period: time.Minute}
	fast      = ratelimit.Limit{Rate: 10, Period: 600 * time.Millisecond}
)

// Run runs the suite. newLimiter must return a limiter whose state no other
// test shares (for Redis: a fresh key prefix).
func Run(t *testing.T, newLimiter func(t *testing.T) ratelimit.Limiter) {
	cases := []struct {
		name string
		fn   func(t *testing.T, lim ratelimit.Limiter)
	}{
		{"EnforcesLimit", testEnforcesLimit},
		{"PeekDoesNotConsume", testPeekDoesNotConsume},
		{"QuotaComesBack", testQuotaComesBack},
		{"ConcurrentBurst", testConcurrentBurst},
		{"UsersIndependent", testUsersIndependent},
		{"LimitChange", testLimitChange},
		{"InvalidLimit", testInvalidLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, newLimiter(t))
		})
	}
}

func allow(t *testing.T, lim ratelimit.Limiter, key string, l ratelimit.Limit) ratelimit.Decision {
	t.Helper()
	d, err := lim.Allow(context.Background(), key, l)
	if err != nil {
		t.Fatalf("Allow(%q, %v): %v", key, l, err)
	}
	checkInvariants(t, d, l)
	return d
}

func peek(t *testing.T, lim ratelimit.Limiter, key string, l ratelimit.Limit) ratelimit.Decision {
	t.Helper()
	d, err := lim.Peek(context.Background(), key, l)
	if err != nil {
		t.Fatalf("Peek(%q, %v): %v", key, l, err)
	}
	checkInvariants(t, d, l)
	return d
}

// checkInvariants holds for every decision whatever the timing, given the
// suite never changes Period for a key. The millisecond covers backends
// that keep time with limited precision (Redis stores 10 µs).
func checkInvariants(t *testing.T, d ratelimit.Decision, l ratelimit.Limit) {
	t.Helper()
	const eps = time.Millisecond
	ei := l.Period / time.Duration(l.Rate)
	switch {
	case d.Limit != l.Rate:
		t.Errorf("Limit = %d, want %d (%+v)", d.Limit, l.Rate, d)
	case d.Remaining < 0 || d.Remaining > l.Rate || d.Used != l.Rate-d.Remaining:
		t.Errorf("Remaining/Used inconsistent: %+v", d)
	case d.Allowed && d.RetryAfter != 0:
		t.Errorf("allowed but RetryAfter = %v", d.RetryAfter)
	case !d.Allowed && (d.RetryAfter <= 0 || d.RetryAfter > ei+eps):
		t.Errorf("refused with RetryAfter %v, want in (0, %v]", d.RetryAfter, ei)
	case d.ResetAfter < 0 || d.ResetAfter > l.Period+eps:
		t.Errorf("ResetAfter %v outside [0, %v]", d.ResetAfter, l.Period)
	}
}

func testEnforcesLimit(t *testing.T, lim ratelimit.Limiter) {
	for i := 1; i <= 10; i++ {
		d := allow(t, lim, "alice", perMinute)
		if !d.Allowed || d.Remaining != 10-i || d.Used != i {
			t.Fatalf("call %d: got %+v, want allowed with Remaining %d Used %d", i, d, 10-i, i)
		}
	}
	d := allow(t, lim, "alice", perMinute)
	if d.Allowed || d.Remaining != 0 || d.Used != 10 {
		t.Fatalf("11th call: got %+v, want refused with Remaining 0 Used 10", d)
	}
	// Ten events at 6 s each put the TAT about a minute ahead.
	if d.ResetAfter < 50*time.Second {
		t.Errorf("ResetAfter = %v, want about a minute", d.ResetAfter)
	}
	if d.RetryAfter < time.Second {
		t.Errorf("RetryAfter = %v, want about 6s", d.RetryAfter)
	}
}

func testPeekDoesNotConsume(t *testing.T, lim ratelimit.Limiter) {
	d := peek(t, lim, "bob", perMinute)
	if !d.Allowed || d.Remaining != 10 || d.Used != 0 || d.ResetAfter != 0 {
		t.Fatalf("Peek on a new key: got %+v, want allowed, Remaining 10, Used 0, ResetAfter 0", d)
	}
	for range 3 {
		allow(t, lim, "bob", perMinute)
	}
	for range 5 {
		if d := peek(t, lim, "bob", perMinute); !d.Allowed || d.Remaining != 7 || d.Used != 3 {
			t.Fatalf("Peek after 3 events: got %+v, want Remaining 7 Used 3", d)
		}
	}
	if d := allow(t, lim, "bob", perMinute); !d.Allowed || d.Remaining != 6 {
		t.Fatalf("Allow after peeks: got %+v, want Remaining 6", d)
	}
	for range 6 {
		allow(t, lim, "bob", perMinute)
	}
	for range 3 {
		d := peek(t, lim, "bob", perMinute)
		if d.Allowed || d.Remaining != 0 || d.Used != 10 || d.RetryAfter <= 0 {
			t.Fatalf("Peek when exhausted: got %+v, want refused with RetryAfter > 0", d)
		}
	}
}

func testQuotaComesBack(t *testing.T, lim ratelimit.Limiter) {
	var d ratelimit.Decision
	// A slow machine may see a refill while spending, so spend until refused.
	for i := 0; ; i++ {
		if i == 50 {
			t.Fatalf("still allowed after 50 calls at %v: %+v", fast, d)
		}
		if d = allow(t, lim, "carol", fast); !d.Allowed {
			break
		}
	}
	time.Sleep(d.RetryAfter + 20*time.Millisecond)
	if d := allow(t, lim, "carol", fast); !d.Allowed {
		t.Fatalf("after waiting RetryAfter: got %+v, want allowed", d)
	}
	time.Sleep(fast.Period + 20*time.Millisecond)
	if d := peek(t, lim, "carol", fast); !d.Allowed || d.Remaining != 10 || d.Used != 0 || d.ResetAfter != 0 {
		t.Fatalf("after a full period: got %+v, want full quota", d)
	}
	for i := range 10 {
		if d := allow(t, lim, "carol", fast); !d.Allowed {
			t.Fatalf("call %d after refill refused: %+v", i+1, d)
		}
	}
}

func testConcurrentBurst(t *testing.T, lim ratelimit.Limiter) {
	if got := burst(t, lim, "dave", 100); got != 10 {
		t.Fatalf("100 concurrent calls admitted %d, want exactly 10", got)
	}
	if d := peek(t, lim, "dave", perMinute); d.Allowed || d.Remaining != 0 {
		t.Fatalf("after burst: got %+v, want exhausted", d)
	}
}

// burst fires n concurrent Allow calls for key and counts admissions.
func burst(t *testing.T, lim ratelimit.Limiter, key string, n int) int {
	t.Helper()
	var (
		admitted atomic.Int64
		wg       sync.WaitGroup
		start    = make(chan struct{})
		errs     = make(chan error, n)
	)
	for range n {
		wg.Go(func() {
			<-start
			d, err := lim.Allow(context.Background(), key, perMinute)
			if err != nil {
				errs <- err
				return
			}
			if d.Allowed {
				admitted.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Allow during burst: %v", err)
	}
	return int(admitted.Load())
}

func testUsersIndependent(t *testing.T, lim ratelimit.Limiter) {
	for range 10 {
		allow(t, lim, "erin", perMinute)
	}
	if d := allow(t, lim, "erin", perMinute); d.Allowed {
		t.Fatalf("erin's 11th call allowed: %+v", d)
	}
	if d := allow(t, lim, "frank", perMinute); !d.Allowed || d.Remaining != 9 {
		t.Fatalf("frank after erin exhausted: got %+v, want allowed with Remaining 9", d)
	}
	if d := peek(t, lim, "erin", perMinute); d.Allowed {
		t.Fatalf("erin recovered because of frank: %+v", d)
	}
}

// testLimitChange: GCRA stores time, not a count, so a new Rate keeps the
// fraction of the period already used. That is the sane reading when an
// operator edits the limit: nobody gets a fresh quota or a negative one.
func testLimitChange(t *testing.T, lim ratelimit.Limiter) {
	for range 5 {
		allow(t, lim, "gina", perMinute)
	}
	doubled := ratelimit.Limit{Rate: 20, Period: time.Minute}
	if d := peek(t, lim, "gina", doubled); !d.Allowed || d.Remaining != 10 || d.Used != 10 {
		t.Fatalf("half used, then Rate 20: got %+v, want Remaining 10 Used 10", d)
	}
	halved := ratelimit.Limit{Rate: 2, Period: time.Minute}
	if d := peek(t, lim, "gina", halved); !d.Allowed || d.Remaining != 1 || d.Used != 1 {
		t.Fatalf("half used, then Rate 2: got %+v, want Remaining 1 Used 1", d)
	}
	admitted := 0
	for range 15 {
		if allow(t, lim, "gina", doubled).Allowed {
			admitted++
		}
	}
	if admitted != 10 {
		t.Fatalf("Rate 20 after half of Rate 10 used admitted %d more, want 10", admitted)
	}
	for _, l := range []ratelimit.Limit{perMinute, halved, {Rate: 1, Period: time.Minute}} {
		if d := allow(t, lim, "gina", l); d.Allowed || d.Remaining != 0 {
			t.Fatalf("exhausted key under %v: got %+v, want refused", l, d)
		}
	}
}

func testInvalidLimit(t *testing.T, lim ratelimit.Limiter) {
	for _, l := range []ratelimit.Limit{{}, {Rate: 0, Period: time.Minute}, {Rate: 10, Period: 0}, {Rate: -1, Period: time.Second}, {Rate: 10, Period: 5}} {
		if _, err := lim.Allow(context.Background(), "hank", l); !errors.Is(err, ratelimit.ErrInvalidLimit) {
			t.Errorf("Allow with %v: err = %v, want ErrInvalidLimit", l, err)
		}
		if _, err := lim.Peek(context.Background(), "hank", l); !errors.Is(err, ratelimit.ErrInvalidLimit) {
			t.Errorf("Peek with %v: err = %v, want ErrInvalidLimit", l, err)
		}
	}
}
