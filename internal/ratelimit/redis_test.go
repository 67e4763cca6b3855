package ratelimit_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/ratelimit/ratelimittest"
)

func redisAddr() string {
	if a := os.Getenv("RUNBLOCK_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// testRedis returns a client to the test Redis, failing (not skipping) when
// it is unreachable: a missing Redis must not look like a passing run.
func testRedis(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr(), PoolSize: 32})
	tb.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("Redis at %s unreachable (run scripts/ensure-redis.sh or set RUNBLOCK_TEST_REDIS_ADDR): %v", redisAddr(), err)
	}
	return c
}

// uniquePrefix isolates a test's keys from parallel tests and other runs,
// and deletes them afterwards.
func uniquePrefix(tb testing.TB, c *redis.Client) string {
	p := "runblock-test:" + uuid.NewString() + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, "rate:"+p+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return p
}

func TestRedisConformance(t *testing.T) {
	c := testRedis(t)
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Limiter {
		return ratelimit.NewRedis(c, uniquePrefix(t, c))
	})
}

// TestRedisPeekLeavesStateAlone checks redis_rate's cost-0 call at the
// storage level: the stored TAT must be byte-for-byte unchanged.
func TestRedisPeekLeavesStateAlone(t *testing.T) {
	c := testRedis(t)
	prefix := uniquePrefix(t, c)
	r := ratelimit.NewRedis(c, prefix)
	ctx := context.Background()
	l := ratelimit.PerMinute(10)

	if _, err := r.Peek(ctx, "u", l); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, "rate:"+prefix+"u").Val(); n != 0 {
		t.Fatalf("Peek on a new key created it")
	}
	for range 3 {
		if _, err := r.Allow(ctx, "u", l); err != nil {
			t.Fatal(err)
		}
	}
	before, err := c.Get(ctx, "rate:"+prefix+"u").Result()
	if err != nil {
		t.Fatalf("reading stored TAT: %v", err)
	}
	for range 20 {
		if _, err := r.Peek(ctx, "u", l); err != nil {
			t.Fatal(err)
		}
	}
	if after := c.Get(ctx, "rate:"+prefix+"u").Val(); after != before {
		t.Fatalf("stored TAT changed by Peek: %q -> %q", before, after)
	}
}

func TestRedisDownIsUnavailable(t *testing.T) {
	// Nothing listens on port 1. go-redis retries a failed dial 5 times,
	// 100 ms apart, by default; one attempt keeps the test fast.
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	defer c.Close()
	r := ratelimit.NewRedis(c, "down:")
	ctx := context.Background()
	l := ratelimit.PerMinute(10)

	if _, err := r.Allow(ctx, "u", l); !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Errorf("Allow: err = %v, want ErrUnavailable", err)
	}
	if _, err := r.Peek(ctx, "u", l); !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Errorf("Peek: err = %v, want ErrUnavailable", err)
	}
	if err := r.Ping(ctx); !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Errorf("Ping: err = %v, want ErrUnavailable", err)
	}
}

func TestRedisCancelledContextKeepsCause(t *testing.T) {
	c := testRedis(t)
	r := ratelimit.NewRedis(c, uniquePrefix(t, c))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Allow(ctx, "u", ratelimit.PerMinute(10))
	if !errors.Is(err, ratelimit.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want both ErrUnavailable and context.Canceled", err)
	}
}

func TestRedisPing(t *testing.T) {
	c := testRedis(t)
	if err := ratelimit.NewRedis(c, uniquePrefix(t, c)).Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestRedisReplicasShareQuota models two runblock replicas: separate
// clients and limiters, one Redis. Together they must admit exactly 10.
func TestRedisReplicasShareQuota(t *testing.T) {
	c1, c2 := testRedis(t), testRedis(t)
	prefix := uniquePrefix(t, c1)
	replicas := []ratelimit.Limiter{ratelimit.NewRedis(c1, prefix), ratelimit.NewRedis(c2, prefix)}
	l := ratelimit.PerMinute(10)

	var (
		admitted [2]atomic.Int64
		wg       sync.WaitGroup
		start    = make(chan struct{})
	)
	for i := range 100 {
		wg.Go(func() {
			<-start
			d, err := replicas[i%2].Allow(context.Background(), "shared-user", l)
			if err != nil {
				t.Error(err)
				return
			}
			if d.Allowed {
				admitted[i%2].Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	a, b := admitted[0].Load(), admitted[1].Load()
	if a+b != 10 {
		t.Fatalf("replicas admitted %d + %d = %d, want exactly 10 in total", a, b, a+b)
	}
}

// TestRedisRoundingDoesNotLoseUnits: with a period/rate that is not exact
// in binary (60 ms) the script's float arithmetic lands just below whole
// units; reporting must not turn a fresh key's 9 remaining into 8.
func TestRedisRoundingDoesNotLoseUnits(t *testing.T) {
	c := testRedis(t)
	r := ratelimit.NewRedis(c, uniquePrefix(t, c))
	l := ratelimit.Limit{Rate: 10, Period: 600 * time.Millisecond}
	for i := range 50 {
		d, err := r.Allow(context.Background(), "k"+strconv.Itoa(i), l)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Allowed || d.Remaining != 9 || d.Used != 1 {
			t.Fatalf("first event on key %d: got %+v, want Remaining 9 Used 1", i, d)
		}
	}
}
