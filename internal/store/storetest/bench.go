package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/store"
)

// BenchmarkRecord measures what the service does per run: one
// CreateExecution and one FinishExecution. Besides ns/op it reports the
// median latency of a whole op, which is what a learner waits on.
func BenchmarkRecord(b *testing.B, s store.Store) {
	ctx := context.Background()
	code := "for i in range(10):\n    print(i)\n"
	output := "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"
	lat := make([]time.Duration, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		e := store.Execution{UserID: "bench", Language: "python", Environment: "server",
			Code: code, ContentID: "python-basics", CodeBlockID: "loops"}
		if err := s.CreateExecution(ctx, &e); err != nil {
			b.Fatal(err)
		}
		e.Status, e.ExitCode, e.Output = store.StatusSuccess, ptr(0), output
		e.WallTime, e.CPUTime, e.MemoryPeakBytes = 31*time.Millisecond, 20*time.Millisecond, 9<<20
		if err := s.FinishExecution(ctx, &e); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	}
}
