package ratelimit_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/ratelimit"
)

// maxSamples caps the latency buffer; beyond it every k-th call is timed,
// which keeps memory flat for the millions of iterations Memory reaches.
const maxSamples = 1 << 18

// benchAllow drives lim with the seed limit over many users, so the mix of
// admitted and refused decisions resembles real traffic, and reports
// decision latency percentiles next to ns/op.
func benchAllow(b *testing.B, lim ratelimit.Limiter) {
	ctx := context.Background()
	l := ratelimit.PerMinute(10)
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = "bench-user-" + strconv.Itoa(i)
	}
	every := b.N/maxSamples + 1
	samples := make([]time.Duration, 0, min(b.N, maxSamples)+1)

	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		key := keys[i%len(keys)]
		if i%every != 0 {
			if _, err := lim.Allow(ctx, key, l); err != nil {
				b.Fatal(err)
			}
			continue
		}
		start := time.Now()
		_, err := lim.Allow(ctx, key, l)
		samples = append(samples, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)*50/100]), "p50-ns")
	b.ReportMetric(float64(samples[len(samples)*99/100]), "p99-ns")
}

func BenchmarkMemoryAllow(b *testing.B) {
	benchAllow(b, ratelimit.NewMemory())
}

func BenchmarkRedisAllow(b *testing.B) {
	c := testRedis(b)
	benchAllow(b, ratelimit.NewRedis(c, uniquePrefix(b, c)))
}
