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

func submissions(t *testing.T, s store.Store) store.Submissions {
	t.Helper()
	sub, ok := s.(store.Submissions)
	if !ok {
		t.Fatalf("%T does not implement store.Submissions", s)
	}
	return sub
}

// testSolved: a block is solved for a user once any of their submissions
// passed, whatever came after, and only for that user and lesson.
func testSolved(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := submissions(t, s)
	n := 0
	add := func(user, content, block, status string, failed ...string) {
		t.Helper()
		n++
		passed, total := 2, 2
		if status != store.VerdictPassed {
			passed = 0
		}
		e := &store.Submission{ID: fmt.Sprintf("s%03d", n), UserID: user, ContentID: content, CodeBlockID: block,
			Status: status, Passed: passed, Total: total, FailedTests: failed, CreatedAt: base.Add(time.Duration(n) * time.Second)}
		if err := sub.CreateSubmission(ctx, e); err != nil {
			t.Fatalf("CreateSubmission: %v", err)
		}
	}
	add("ada", "loops", "fizz", store.VerdictFailed, "t1")
	add("ada", "loops", "fizz", store.VerdictPassed)
	add("ada", "loops", "fizz", store.VerdictFailed, "t2") // solved stays solved
	add("ada", "loops", "sum", store.VerdictError)
	add("bob", "loops", "sum", store.VerdictPassed)
	add("ada", "other", "sum", store.VerdictPassed)
	got, err := sub.SolvedBlocks(ctx, "ada", "loops")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"fizz": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("SolvedBlocks(ada, loops) = %v, want %v", got, want)
	}
	got, err = sub.SolvedBlocks(ctx, "carol", "loops")
	if err != nil || len(got) != 0 {
		t.Errorf("SolvedBlocks(carol) = %v, %v; want empty", got, err)
	}
	bad := &store.Submission{ID: "x", UserID: "ada", ContentID: "loops", CodeBlockID: "fizz", Status: "won"}
	if err := sub.CreateSubmission(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CreateSubmission with status %q: %v, want ErrInvalid", bad.Status, err)
	}
}

// testExerciseStats: attempts, solve rate, median attempts to solve and the
// most-failed tests, with hand-computed answers.
func testExerciseStats(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := submissions(t, s)
	n := 0
	add := func(user, block, status string, failed ...string) {
		t.Helper()
		n++
		e := &store.Submission{ID: fmt.Sprintf("s%03d", n), UserID: user, ContentID: "loops", CodeBlockID: block,
			Status: status, Total: 3, FailedTests: failed, CreatedAt: base.Add(time.Duration(n) * time.Minute)}
		if status == store.VerdictPassed {
			e.Passed = 3
		}
		if err := sub.CreateSubmission(ctx, e); err != nil {
			t.Fatalf("CreateSubmission: %v", err)
		}
	}
	// fizz: ada solves on her 3rd attempt, bob on his 1st, carol never,
	// dan on his 2nd: 4 users, 3 solvers, attempts to solve 1, 2, 3.
	add("ada", "fizz", store.VerdictFailed, "test_five", "test_fifteen")
	add("bob", "fizz", store.VerdictPassed)
	add("ada", "fizz", store.VerdictError)
	add("carol", "fizz", store.VerdictFailed, "test_fifteen")
	add("ada", "fizz", store.VerdictPassed)
	add("dan", "fizz", store.VerdictTimeout)
	add("ada", "fizz", store.VerdictFailed, "test_fifteen", "test_one") // after solving: still an attempt
	add("dan", "fizz", store.VerdictPassed)
	// sum: two solvers, on their 1st and 2nd attempts: median 1.5.
	add("ada", "sum", store.VerdictPassed)
	add("bob", "sum", store.VerdictFailed, "test_a")
	add("bob", "sum", store.VerdictPassed)
	// another lesson must not count
	if err := sub.CreateSubmission(ctx, &store.Submission{ID: "other", UserID: "ada", ContentID: "other", CodeBlockID: "fizz", Status: store.VerdictFailed, Total: 1, FailedTests: []string{"test_five"}}); err != nil {
		t.Fatal(err)
	}
	got, err := sub.ExerciseStats(ctx, "loops")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.ExerciseStats{
		"fizz": {CodeBlockID: "fizz", Attempts: 8, Users: 4, Solvers: 3, SolveRate: 0.75, MedianAttemptsToSolve: 2,
			MostFailed: []store.TestFailures{{Name: "test_fifteen", Failures: 3}, {Name: "test_five", Failures: 1}, {Name: "test_one", Failures: 1}}},
		"sum": {CodeBlockID: "sum", Attempts: 3, Users: 2, Solvers: 2, SolveRate: 1, MedianAttemptsToSolve: 1.5,
			MostFailed: []store.TestFailures{{Name: "test_a", Failures: 1}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ExerciseStats =\n%+v\nwant\n%+v", got, want)
	}
	empty, err := sub.ExerciseStats(ctx, "nothing")
	if err != nil || len(empty) != 0 {
		t.Errorf("ExerciseStats(nothing) = %v, %v; want empty", empty, err)
	}
}
