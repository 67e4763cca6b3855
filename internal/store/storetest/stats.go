package storetest

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/store"
)

type run struct {
	user, lang, env, status, content, block string
	wall                                    time.Duration
	at                                      time.Duration // after base
}

func seed(t *testing.T, s store.Store, runs []run) {
	t.Helper()
	for _, r := range runs {
		e := store.Execution{
			UserID: r.user, Language: r.lang, Environment: r.env, Status: r.status,
			WallTime: r.wall, ContentID: r.content, CodeBlockID: r.block,
			Code: "code", CreatedAt: base.Add(r.at),
		}
		mustCreate(t, s, &e)
	}
}

func testUserStats(t *testing.T, s store.Store) {
	ms := time.Millisecond
	seed(t, s, []run{
		{"u1", "python", "server", store.StatusSuccess, "", "", 100 * ms, 1 * time.Second},
		{"u1", "python", "pyodide", store.StatusError, "", "", 300 * ms, 2 * time.Second},
		{"u1", "c", "server", store.StatusSuccess, "", "", 200 * ms, 3 * time.Second},
		{"u1", "python", "server", store.StatusTimeout, "", "", 400 * ms, 4 * time.Second},
		// Running: counted in totals, kept out of rate and average.
		{"u1", "python", "server", store.StatusRunning, "", "", 0, 5 * time.Second},
		{"u2", "c", "server", store.StatusSuccess, "", "", 9 * time.Second, 9 * time.Second},
	})
	st, err := s.UserStats(context.Background(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if st.TotalExecutions != 5 || st.Successes != 2 {
		t.Errorf("total/successes = %d/%d, want 5/2", st.TotalExecutions, st.Successes)
	}
	if math.Abs(st.SuccessRate-0.5) > 1e-9 {
		t.Errorf("SuccessRate = %v, want 0.5 (2 of 4 finished)", st.SuccessRate)
	}
	if st.AvgWallTime != 250*ms {
		t.Errorf("AvgWallTime = %v, want 250ms", st.AvgWallTime)
	}
	if want := map[string]int64{"python": 4, "c": 1}; !reflect.DeepEqual(st.ByLanguage, want) {
		t.Errorf("ByLanguage = %v, want %v", st.ByLanguage, want)
	}
	if want := map[string]int64{"server": 4, "pyodide": 1}; !reflect.DeepEqual(st.ByEnvironment, want) {
		t.Errorf("ByEnvironment = %v, want %v", st.ByEnvironment, want)
	}
	if st.LastRunAt == nil || !sameTime(*st.LastRunAt, base.Add(5*time.Second)) {
		t.Errorf("LastRunAt = %v, want %v", st.LastRunAt, base.Add(5*time.Second))
	}
}

func testUserStatsEmpty(t *testing.T, s store.Store) {
	st, err := s.UserStats(context.Background(), "ghost")
	if err != nil {
		t.Fatal(err)
	}
	want := store.UserStats{ByLanguage: map[string]int64{}, ByEnvironment: map[string]int64{}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("empty stats = %+v, want %+v", st, want)
	}
}

func testBlockStats(t *testing.T, s store.Store) {
	ms := time.Millisecond
	ok, bad, live := store.StatusSuccess, store.StatusError, store.StatusRunning
	seed(t, s, []run{
		// Block "a": even count, median is the mean of 20ms and 30ms.
		{"u1", "python", "server", ok, "lesson", "a", 10 * ms, 1 * time.Second},
		{"u1", "python", "server", bad, "lesson", "a", 40 * ms, 2 * time.Second},
		{"u2", "python", "server", ok, "lesson", "a", 30 * ms, 3 * time.Second},
		{"u2", "python", "server", ok, "lesson", "a", 20 * ms, 4 * time.Second},
		// Block "b": odd count; the running row counts as a run but not in
		// the median, and the outlier does not move it.
		{"u1", "python", "server", ok, "lesson", "b", 7 * ms, 5 * time.Second},
		{"u3", "python", "server", bad, "lesson", "b", 1000 * ms, 6 * time.Second},
		{"u3", "python", "server", ok, "lesson", "b", 5 * ms, 7 * time.Second},
		{"u3", "python", "server", live, "lesson", "b", 0, 8 * time.Second},
		// Noise: other lesson, and a run outside any block.
		{"u1", "python", "server", ok, "other", "a", 500 * ms, 9 * time.Second},
		{"u1", "python", "server", ok, "lesson", "", 500 * ms, 10 * time.Second},
		// Mean of 1ns and 2ns: both engines must truncate to 1ns, not round.
		{"u4", "c", "server", ok, "lesson", "c", 1, 11 * time.Second},
		{"u4", "c", "server", ok, "lesson", "c", 2, 12 * time.Second},
	})
	ctx := context.Background()
	got, err := s.BlockStats(ctx, "lesson")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.BlockStats{
		"a": {CodeBlockID: "a", Runs: 4, Successes: 3, Users: 2, MedianWallTime: 25 * ms,
			LastRunAt: ptr(base.Add(4 * time.Second))},
		"b": {CodeBlockID: "b", Runs: 4, Successes: 2, Users: 2, MedianWallTime: 7 * ms,
			LastRunAt: ptr(base.Add(8 * time.Second))},
		"c": {CodeBlockID: "c", Runs: 2, Successes: 2, Users: 1, MedianWallTime: 1,
			LastRunAt: ptr(base.Add(12 * time.Second))},
	}
	assertBlockStats(t, "BlockStats", want, got)

	got, err = s.UserBlockStats(ctx, "u1", "lesson")
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]store.BlockStats{
		"a": {CodeBlockID: "a", Runs: 2, Successes: 1, Users: 1, MedianWallTime: 25 * ms,
			LastRunAt: ptr(base.Add(2 * time.Second))},
		"b": {CodeBlockID: "b", Runs: 1, Successes: 1, Users: 1, MedianWallTime: 7 * ms,
			LastRunAt: ptr(base.Add(5 * time.Second))},
	}
	assertBlockStats(t, "UserBlockStats", want, got)

	got, err = s.BlockStats(ctx, "no-such-lesson")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("unknown lesson: %v, %v; want empty non-nil map", got, err)
	}
}

func assertBlockStats(t *testing.T, what string, want, got map[string]store.BlockStats) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d blocks %v, want %d", what, len(got), got, len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("%s: block %q missing", what, id)
			continue
		}
		if !sameTimePtr(w.LastRunAt, g.LastRunAt) {
			t.Errorf("%s[%s].LastRunAt = %v, want %v", what, id, g.LastRunAt, w.LastRunAt)
		}
		w.LastRunAt, g.LastRunAt = nil, nil
		if w != g {
			t.Errorf("%s[%s] = %+v, want %+v", what, id, g, w)
		}
	}
}
