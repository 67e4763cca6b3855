package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Verdicts a submission ends with.
const (
	VerdictPassed  = "passed"
	VerdictFailed  = "failed"
	VerdictError   = "error"
	VerdictTimeout = "timeout"
)

// Submission is one graded attempt at an exercise: learner code run with
// the block's tests. ID is the execution's id (the run is also an
// execution); FailedTests names the tests that did not pass.
type Submission struct {
	ID          string
	UserID      string
	ContentID   string
	CodeBlockID string
	Status      string
	Passed      int
	Total       int
	FailedTests []string
	CreatedAt   time.Time
}

// ExerciseStats summarises one exercise block over all learners.
type ExerciseStats struct {
	CodeBlockID string
	Attempts    int64
	Users       int64
	Solvers     int64
	// SolveRate is Solvers / Users (0 when nobody tried).
	SolveRate float64
	// MedianAttemptsToSolve is over learners who solved it: how many
	// submissions they made up to and including their first pass.
	MedianAttemptsToSolve float64
	// MostFailed are the tests that failed most often, most first (at most
	// MaxMostFailed; ties by name).
	MostFailed []TestFailures
}

// TestFailures counts the submissions in which one test failed.
type TestFailures struct {
	Name     string
	Failures int64
}

// MaxMostFailed bounds ExerciseStats.MostFailed.
const MaxMostFailed = 5

// MaxFailedTests bounds the names kept per submission.
const MaxFailedTests = 200

// Submissions is implemented by engines that grade exercises (both do).
type Submissions interface {
	// CreateSubmission stores s; CreatedAt is filled in when zero.
	CreateSubmission(ctx context.Context, s *Submission) error
	// SolvedBlocks is the set of code block ids of contentID that userID
	// has passed at least once.
	SolvedBlocks(ctx context.Context, userID, contentID string) (map[string]bool, error)
	// ExerciseStats is keyed by code block id, over all users.
	ExerciseStats(ctx context.Context, contentID string) (map[string]ExerciseStats, error)
}

// SubmissionRow is what the engines read back for ExerciseStats.
type SubmissionRow struct {
	CodeBlockID string
	UserID      string
	Status      string
	FailedTests []string
}

// AggregateSubmissions computes ExerciseStats from rows ordered by
// creation time. Both engines share it, so the numbers can't drift apart.
func AggregateSubmissions(rows []SubmissionRow) map[string]ExerciseStats {
	type user struct {
		attempts int64
		solvedAt int64 // attempts up to the first pass; 0: not solved
	}
	type block struct {
		st       ExerciseStats
		users    map[string]*user
		order    []string
		failures map[string]int64
	}
	blocks := map[string]*block{}
	for _, r := range rows {
		b := blocks[r.CodeBlockID]
		if b == nil {
			b = &block{st: ExerciseStats{CodeBlockID: r.CodeBlockID}, users: map[string]*user{}, failures: map[string]int64{}}
			blocks[r.CodeBlockID] = b
		}
		b.st.Attempts++
		u := b.users[r.UserID]
		if u == nil {
			u = &user{}
			b.users[r.UserID] = u
			b.order = append(b.order, r.UserID)
		}
		u.attempts++
		if r.Status == VerdictPassed && u.solvedAt == 0 {
			u.solvedAt = u.attempts
		}
		for _, n := range r.FailedTests {
			b.failures[n]++
		}
	}
	out := make(map[string]ExerciseStats, len(blocks))
	for id, b := range blocks {
		st := b.st
		st.Users = int64(len(b.users))
		var solve []int64
		for _, uid := range b.order {
			if n := b.users[uid].solvedAt; n > 0 {
				solve = append(solve, n)
			}
		}
		st.Solvers = int64(len(solve))
		if st.Users > 0 {
			st.SolveRate = float64(st.Solvers) / float64(st.Users)
		}
		if len(solve) > 0 {
			slices.Sort(solve)
			m := len(solve) / 2
			if len(solve)%2 == 1 {
				st.MedianAttemptsToSolve = float64(solve[m])
			} else {
				st.MedianAttemptsToSolve = float64(solve[m-1]+solve[m]) / 2
			}
		}
		for n, c := range b.failures {
			st.MostFailed = append(st.MostFailed, TestFailures{Name: n, Failures: c})
		}
		sort.Slice(st.MostFailed, func(i, j int) bool {
			a, c := st.MostFailed[i], st.MostFailed[j]
			if a.Failures != c.Failures {
				return a.Failures > c.Failures
			}
			return a.Name < c.Name
		})
		if len(st.MostFailed) > MaxMostFailed {
			st.MostFailed = st.MostFailed[:MaxMostFailed]
		}
		out[id] = st
	}
	return out
}

// PrepareSubmission checks s and fills in CreatedAt.
func PrepareSubmission(s *Submission, now time.Time) error {
	switch {
	case s.ID == "" || s.ContentID == "" || s.CodeBlockID == "":
		return fmt.Errorf("%w: submission needs an id, content_id and code_block_id", ErrInvalid)
	case s.Status != VerdictPassed && s.Status != VerdictFailed && s.Status != VerdictError && s.Status != VerdictTimeout:
		return fmt.Errorf("%w: submission status %q", ErrInvalid, s.Status)
	case s.Passed < 0 || s.Total < s.Passed:
		return fmt.Errorf("%w: submission passed %d of %d", ErrInvalid, s.Passed, s.Total)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	if len(s.FailedTests) > MaxFailedTests {
		s.FailedTests = s.FailedTests[:MaxFailedTests]
	}
	return nil
}

// EncodeFailedTests is FailedTests as the JSON both engines store.
func EncodeFailedTests(names []string) (string, error) {
	if names == nil {
		names = []string{}
	}
	b, err := json.Marshal(names)
	return string(b), err
}

// DecodeFailedTests reads what EncodeFailedTests wrote.
func DecodeFailedTests(s string) ([]string, error) {
	var names []string
	if s == "" {
		return nil, nil
	}
	err := json.Unmarshal([]byte(s), &names)
	return names, err
}

// Rows is what both drivers' query results offer (database/sql's *Rows,
// pgx's Rows), so each store runs its own SQL and reads rows here.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadSolved collects the code_block_id column of a solved-blocks query.
func ReadSolved(rows Rows) (map[string]bool, error) {
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// ReadExerciseStats aggregates rows of (code_block_id, user_id, status,
// failed_tests as JSON text), oldest first.
func ReadExerciseStats(rows Rows) (map[string]ExerciseStats, error) {
	var all []SubmissionRow
	for rows.Next() {
		var r SubmissionRow
		var failed string
		if err := rows.Scan(&r.CodeBlockID, &r.UserID, &r.Status, &failed); err != nil {
			return nil, err
		}
		var err error
		if r.FailedTests, err = DecodeFailedTests(failed); err != nil {
			return nil, err
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return AggregateSubmissions(all), nil
}
