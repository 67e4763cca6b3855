package main

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/runblock/runblock/internal/ratelimit"
)

// limiterRows: the limiter's own decision cost (memory and Redis), and
// /execute with the limiter off, on (memory) and on (Redis), interleaved so
// drift on the machine hits all three alike.
func limiterRows(ctx context.Context, bin string, n int) ([]row, error) {
	rows, err := decisionRows(ctx, n*50)
	if err != nil {
		return nil, err
	}
	const on = `{"rate_limit": {"per_role": {"anonymous": 1000000}}}`
	off, err := startServer(ctx, bin, nil, unlimited)
	if err != nil {
		return nil, err
	}
	mem, err := startServer(ctx, bin, nil, on)
	if err != nil {
		return nil, err
	}
	red, err := startServer(ctx, bin, map[string]string{"RUNBLOCK_REDIS_URL": "redis://127.0.0.1:6379/0"}, on)
	if err != nil {
		return nil, err
	}
	servers := []*server{off, mem, red}
	lat := make([][]time.Duration, len(servers))
	for i := 0; i < n; i++ {
		for j, s := range servers {
			start := time.Now()
			if err := postExecute(s.url, hello); err != nil {
				return nil, err
			}
			lat[j] = append(lat[j], time.Since(start))
		}
	}
	// Throughput at the servers' full concurrency (4), one server at a time.
	rps := make([]float64, len(servers))
	for j, s := range servers {
		r, err := throughput(s.url, 4, 5*time.Second)
		if err != nil {
			return nil, err
		}
		rps[j] = r
	}
	base := percentile(lat[0], .5)
	pct := func(d time.Duration) string {
		return fmt.Sprintf("%+.1f%% p50 vs off", 100*(float64(d)-float64(base))/float64(base))
	}
	return append(rows,
		row{"`POST /execute` hello, rate limiter off", ms(base), ms(percentile(lat[0], .95)), fmt.Sprintf("interleaved with the two rows below; %.1f runs/s at concurrency 4", rps[0])},
		row{"`POST /execute` hello, memory limiter on", ms(percentile(lat[1], .5)), ms(percentile(lat[1], .95)), pct(percentile(lat[1], .5)) + fmt.Sprintf("; %.1f runs/s", rps[1])},
		row{"`POST /execute` hello, Redis limiter on", ms(percentile(lat[2], .5)), ms(percentile(lat[2], .95)), pct(percentile(lat[2], .5)) + fmt.Sprintf("; %.1f runs/s", rps[2])},
	), nil
}

func decisionRows(ctx context.Context, n int) ([]row, error) {
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rc.Close()
	lim := ratelimit.Limit{Rate: 1 << 30, Period: time.Minute}
	var rows []row
	for _, l := range []struct {
		name string
		l    ratelimit.Limiter
	}{{"memory", ratelimit.NewMemory()}, {"Redis (loopback, GCRA Lua script)", ratelimit.NewRedis(rc, "bench:")}} {
		var d []time.Duration
		for i := 0; i < n; i++ {
			start := time.Now()
			if _, err := l.l.Allow(ctx, fmt.Sprintf("user:%d", i%100), lim); err != nil {
				return nil, err
			}
			d = append(d, time.Since(start))
		}
		rows = append(rows, row{"rate limiter decision, " + l.name, us(percentile(d, .5)), us(percentile(d, .95)), "p99 " + us(percentile(d, .99))})
	}
	return rows, nil
}

func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/1e3) }
