// Package store persists executions (one row per run of learner code) and
// answers the engagement questions asked about them. Engines live in
// sub-packages (sqlite/, postgres/); storetest/ holds the conformance suite
// both must pass so that switching engines never changes behaviour.
package store

import (
	"context"
	"errors"
	"time"
)

// Status values an execution moves through. "running" is the only
// non-terminal one; everything else is an outcome.
const (
	StatusRunning     = "running"
	StatusSuccess     = "success"
	StatusError       = "error"
	StatusTimeout     = "timeout"
	StatusMemoryLimit = "memory_limit"
	StatusCancelled   = "cancelled"
	StatusRejected    = "rejected"
	// StatusInterrupted marks runs that were still going when the server
	// died; MarkInterrupted assigns it at start-up.
	StatusInterrupted = "interrupted"
)

// Hard caps on stored text. Callers are expected to cap earlier and tighter;
// these only stop a bug upstream from bloating the database.
const (
	MaxCodeBytes   = 64 << 10
	MaxOutputBytes = 16 << 10
)

// Page limits for ListExecutions.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
)

var (
	// ErrNotFound is returned for unknown ids and, deliberately, for ids that
	// belong to another user so that ids cannot be probed.
	ErrNotFound = errors.New("store: not found")
	// ErrInvalid wraps validation failures of an Execution passed in.
	ErrInvalid = errors.New("store: invalid execution")
	// ErrInvalidCursor is returned when Page.Before was not produced by
	// ListExecutions (tampered, truncated, or from another version).
	ErrInvalidCursor = errors.New("store: invalid page cursor")
)

// Execution is one run of code. Durations are stored with nanosecond
// precision, times with microsecond precision.
type Execution struct {
	ID              string
	UserID          string
	Language        string
	Environment     string
	Status          string
	ExitCode        *int
	WallTime        time.Duration
	CPUTime         time.Duration
	MemoryPeakBytes int64
	Truncated       bool
	Code            string
	// CodeSHA256 (lowercase hex) is the digest of the submitted code, set on
	// rows whose Code may be only a prefix of it: rejected runs keep a
	// bounded prefix and this digest.
	CodeSHA256  string
	Output      string
	ErrorOutput string
	ContentID   string
	CodeBlockID string
	CreatedAt   time.Time
	FinishedAt  *time.Time
	// Images are set by FinishExecution and read by GetExecution only
	// (ListExecutions leaves them out).
	Images []Image
}

// Page selects a window of ListExecutions. Before is the opaque cursor
// returned as "next" by the previous call; empty means the newest items.
type Page struct {
	Limit  int
	Before string
}

// UserStats summarises one user's runs. SuccessRate and AvgWallTime are
// computed over finished runs only (status other than "running"), so that a
// run in progress does not dent the numbers shown while it executes.
type UserStats struct {
	TotalExecutions int64
	Successes       int64
	SuccessRate     float64
	AvgWallTime     time.Duration
	ByLanguage      map[string]int64
	ByEnvironment   map[string]int64
	LastRunAt       *time.Time
}

// BlockStats summarises the runs of one code block of a lesson.
// MedianWallTime is over finished runs; for an even count it is the mean of
// the two middle values (integer nanoseconds, truncated).
type BlockStats struct {
	CodeBlockID    string
	Runs           int64
	Successes      int64
	Users          int64
	LastRunAt      *time.Time
	MedianWallTime time.Duration
}

// Store is implemented by every engine. All methods are safe for concurrent
// use.
type Store interface {
	// CreateExecution inserts e. Empty ID, CreatedAt and Status are filled in
	// (a new UUID, now, "running") and written back to e.
	CreateExecution(ctx context.Context, e *Execution) error
	// FinishExecution records the outcome of e.ID: status, exit code,
	// timings, output and finished_at (now if nil, written back to e). When
	// e.UserID is set the row must also belong to that user.
	FinishExecution(ctx context.Context, e *Execution) error
	GetExecution(ctx context.Context, userID, id string) (Execution, error)
	// ListExecutions returns userID's executions newest first. next is empty
	// on the last page.
	ListExecutions(ctx context.Context, userID string, p Page) (items []Execution, next string, err error)
	UserStats(ctx context.Context, userID string) (UserStats, error)
	// UserBlockStats is keyed by code block id, for one user in one lesson.
	UserBlockStats(ctx context.Context, userID, contentID string) (map[string]BlockStats, error)
	// BlockStats is keyed by code block id, aggregated over all users.
	BlockStats(ctx context.Context, contentID string) (map[string]BlockStats, error)
	// MarkInterrupted turns "running" rows created before startedBefore
	// into "interrupted". At start-up of the only instance (SQLite) that is
	// now; with replicas sharing a database, a cutoff older than any run can
	// last keeps the other instances' live runs untouched.
	MarkInterrupted(ctx context.Context, startedBefore time.Time) (int64, error)
	// Prune deletes executions created before olderThan.
	Prune(ctx context.Context, olderThan time.Time) (int64, error)
	Ping(ctx context.Context) error
	Close() error
}
