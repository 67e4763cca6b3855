// Package storetest is the conformance suite every store.Store engine must
// pass. Engines call Run from their own tests with a constructor that
// returns an empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/store"
)

// Run executes every conformance test. newStore must return a new, empty
// store each call and arrange its cleanup (Close) with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"CreateFinished", testCreateFinished},
		{"Defaults", testDefaults},
		{"Invalid", testInvalid},
		{"NotFound", testNotFound},
		{"ListPagination", testListPagination},
		{"ListInvalidCursor", testListInvalidCursor},
		{"UserStats", testUserStats},
		{"UserStatsEmpty", testUserStatsEmpty},
		{"BlockStats", testBlockStats},
		{"MarkInterrupted", testMarkInterrupted},
		{"Prune", testPrune},
		{"ConcurrentWriters", testConcurrentWriters},
		{"LargeUnicodeOutput", testLargeUnicodeOutput},
		{"HardCaps", testHardCaps},
		{"CodeDigest", testCodeDigest},
		{"UnstorableBytes", testUnstorableBytes},
		{"CancelledContext", testCancelledContext},
		{"Ping", testPing},
		{"Images", testImages},
		{"Solved", testSolved},
		{"ExerciseStats", testExerciseStats},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// base is a fixed instant with sub-millisecond digits, so that precision
// loss anywhere in the path shows up.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

func ptr[T any](v T) *T { return &v }

func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
}

func sameTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return sameTime(*a, *b)
}

// assertEqual compares executions field by field, times at ms precision.
func assertEqual(t *testing.T, want, got store.Execution) {
	t.Helper()
	if !sameTime(want.CreatedAt, got.CreatedAt) {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	if !sameTimePtr(want.FinishedAt, got.FinishedAt) {
		t.Errorf("FinishedAt = %v, want %v", got.FinishedAt, want.FinishedAt)
	}
	if (want.ExitCode == nil) != (got.ExitCode == nil) ||
		(want.ExitCode != nil && *want.ExitCode != *got.ExitCode) {
		t.Errorf("ExitCode = %v, want %v", fmtPtr(got.ExitCode), fmtPtr(want.ExitCode))
	}
	want.CreatedAt, got.CreatedAt = time.Time{}, time.Time{}
	want.FinishedAt, got.FinishedAt = nil, nil
	want.ExitCode, got.ExitCode = nil, nil
	if !reflect.DeepEqual(want, got) {
		t.Errorf("execution mismatch:\n got  %+v\n want %+v", got, want)
	}
}

func fmtPtr(p *int) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func mustCreate(t *testing.T, s store.Store, e *store.Execution) {
	t.Helper()
	if err := s.CreateExecution(context.Background(), e); err != nil {
		t.Fatalf("CreateExecution(%s): %v", e.ID, err)
	}
}

func mustGet(t *testing.T, s store.Store, userID, id string) store.Execution {
	t.Helper()
	e, err := s.GetExecution(context.Background(), userID, id)
	if err != nil {
		t.Fatalf("GetExecution(%s, %s): %v", userID, id, err)
	}
	return e
}

func testRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	e := store.Execution{
		ID: "exec-1", UserID: "user-a", Language: "python", Environment: "server",
		Status: store.StatusRunning, Code: "print('hi')\n",
		ContentID: "python-basics", CodeBlockID: "hello", CreatedAt: base,
	}
	mustCreate(t, s, &e)
	assertEqual(t, e, mustGet(t, s, "user-a", "exec-1"))

	fin := e
	fin.Status = store.StatusError
	fin.ExitCode = ptr(3)
	fin.WallTime = 1234567891 * time.Nanosecond
	fin.CPUTime = 987654321 * time.Nanosecond
	fin.MemoryPeakBytes = 42 << 20
	fin.Truncated = true
	fin.Output = "hi\n"
	fin.ErrorOutput = "Traceback (most recent call last):\n  boom\n"
	fin.FinishedAt = ptr(base.Add(1500 * time.Millisecond))
	if err := s.FinishExecution(ctx, &fin); err != nil {
		t.Fatalf("FinishExecution: %v", err)
	}
	assertEqual(t, fin, mustGet(t, s, "user-a", "exec-1"))

	// Finishing is an update of the outcome fields only: the code and the
	// lesson link recorded at creation must survive even if the caller
	// passes a sparser struct.
	again := store.Execution{ID: "exec-1", UserID: "user-a", Status: store.StatusSuccess,
		ExitCode: ptr(0), FinishedAt: ptr(base.Add(2 * time.Second))}
	if err := s.FinishExecution(ctx, &again); err != nil {
		t.Fatalf("second FinishExecution: %v", err)
	}
	got := mustGet(t, s, "user-a", "exec-1")
	if got.Code != e.Code || got.ContentID != e.ContentID || got.Language != e.Language {
		t.Errorf("creation fields changed by finish: %+v", got)
	}
	if got.Status != store.StatusSuccess || got.ExitCode == nil || *got.ExitCode != 0 {
		t.Errorf("status/exit = %s/%s, want success/0", got.Status, fmtPtr(got.ExitCode))
	}
}

func testCreateFinished(t *testing.T, s store.Store) {
	e := store.Execution{
		ID: "browser-1", UserID: "u", Language: "python", Environment: "pyodide",
		Status: store.StatusSuccess, ExitCode: ptr(0), WallTime: 80 * time.Millisecond,
		Code: "print(1)", Output: "1\n", CreatedAt: base,
		FinishedAt: ptr(base.Add(80 * time.Millisecond)),
	}
	mustCreate(t, s, &e)
	assertEqual(t, e, mustGet(t, s, "u", "browser-1"))
}

func testDefaults(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	e := store.Execution{UserID: "u", Language: "c", Code: "int main(){}"}
	mustCreate(t, s, &e)
	if e.ID == "" || e.Status != store.StatusRunning || e.CreatedAt.Before(before) {
		t.Fatalf("defaults not filled: id=%q status=%q created=%v", e.ID, e.Status, e.CreatedAt)
	}
	got := mustGet(t, s, "u", e.ID)
	assertEqual(t, e, got)
	if got.FinishedAt != nil {
		t.Errorf("running execution has FinishedAt %v", got.FinishedAt)
	}

	e.Status = store.StatusTimeout
	if err := s.FinishExecution(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
	if e.FinishedAt == nil || e.FinishedAt.Before(before) {
		t.Fatalf("FinishedAt not defaulted: %v", e.FinishedAt)
	}
	assertEqual(t, e, mustGet(t, s, "u", e.ID))
}

func testInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	for name, e := range map[string]store.Execution{
		"no user":        {ID: "x1", Status: store.StatusRunning},
		"unknown status": {ID: "x2", UserID: "u", Status: "exploded"},
		"negative time":  {ID: "x3", UserID: "u", WallTime: -1},
		"NUL in key":     {ID: "x4", UserID: "u\x00v"},
	} {
		if err := s.CreateExecution(ctx, &e); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: CreateExecution err = %v, want ErrInvalid", name, err)
		}
	}
	e := store.Execution{ID: "ok", UserID: "u"}
	mustCreate(t, s, &e)
	e.Status = store.StatusRunning
	if err := s.FinishExecution(ctx, &e); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("finish with running status: err = %v, want ErrInvalid", err)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	e := store.Execution{ID: "mine", UserID: "alice", Code: "x", CreatedAt: base}
	mustCreate(t, s, &e)
	if _, err := s.GetExecution(ctx, "bob", "mine"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other user's execution: err = %v, want ErrNotFound", err)
	}
	if _, err := s.GetExecution(ctx, "alice", "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: err = %v, want ErrNotFound", err)
	}
	fin := store.Execution{ID: "missing", Status: store.StatusSuccess}
	if err := s.FinishExecution(ctx, &fin); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("finish unknown id: err = %v, want ErrNotFound", err)
	}
	steal := store.Execution{ID: "mine", UserID: "bob", Status: store.StatusSuccess}
	if err := s.FinishExecution(ctx, &steal); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("finish other user's execution: err = %v, want ErrNotFound", err)
	}
	if got := mustGet(t, s, "alice", "mine"); got.Status != store.StatusRunning {
		t.Errorf("other user's finish changed status to %q", got.Status)
	}
}
