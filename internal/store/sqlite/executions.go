package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/runblock/runblock/internal/store"
)

const columns = `id, user_id, language, environment, status, exit_code, wall_time_ns,
	cpu_time_ns, memory_peak_bytes, truncated, code, output, error_output,
	content_id, code_block_id, created_at, finished_at, code_sha256`

// Every run writes these two: prepared once (in New), as
// parsing them each time cost about as much as running them.
const (
	createExecSQL = `INSERT INTO executions (` + columns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	finishExecSQL = `UPDATE executions SET
		status = ?, exit_code = ?, wall_time_ns = ?, cpu_time_ns = ?,
		memory_peak_bytes = ?, truncated = ?, output = ?, error_output = ?,
		finished_at = ?, images = ?
		WHERE id = ? AND (? = '' OR user_id = ?)`
)

// CreateExecution implements store.Store.
func (s *Store) CreateExecution(ctx context.Context, e *store.Execution) error {
	if err := store.PrepareCreate(e, s.now()); err != nil {
		return err
	}
	_, err := s.createExec.ExecContext(ctx,
		e.ID, e.UserID, e.Language, e.Environment, e.Status, exitCode(e.ExitCode),
		int64(e.WallTime), int64(e.CPUTime), e.MemoryPeakBytes, e.Truncated,
		e.Code, e.Output, e.ErrorOutput, e.ContentID, e.CodeBlockID,
		e.CreatedAt.UnixMicro(), micros(e.FinishedAt), e.CodeSHA256)
	return err
}

// FinishExecution implements store.Store.
func (s *Store) FinishExecution(ctx context.Context, e *store.Execution) error {
	if err := store.PrepareFinish(e, s.now()); err != nil {
		return err
	}
	images, err := store.EncodeImages(e.Images)
	if err != nil {
		return err
	}
	res, err := s.finishExec.ExecContext(ctx,
		e.Status, exitCode(e.ExitCode), int64(e.WallTime), int64(e.CPUTime),
		e.MemoryPeakBytes, e.Truncated, e.Output, e.ErrorOutput,
		micros(e.FinishedAt), images, e.ID, e.UserID, e.UserID)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// GetExecution implements store.Store.
func (s *Store) GetExecution(ctx context.Context, userID, id string) (store.Execution, error) {
	row := s.reader.QueryRowContext(ctx,
		`SELECT `+columns+`, images FROM executions WHERE id = ? AND user_id = ?`, id, userID)
	var images string
	e, err := scan(row, &images)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Execution{}, store.ErrNotFound
	}
	if err != nil {
		return e, err
	}
	e.Images, err = store.DecodeImages(images)
	return e, err
}

// ListExecutions implements store.Store.
func (s *Store) ListExecutions(ctx context.Context, userID string, p store.Page) ([]store.Execution, string, error) {
	cur, after, err := store.DecodeCursor(p.Before)
	if err != nil {
		return nil, "", err
	}
	limit := store.PageLimit(p.Limit)
	q := `SELECT ` + columns + ` FROM executions WHERE user_id = ?`
	args := []any{userID}
	if after {
		q += ` AND (created_at, id) < (?, ?)`
		args = append(args, cur.CreatedAt.UnixMicro(), cur.ID)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	// One extra row tells whether a next page exists without a COUNT.
	args = append(args, limit+1)
	rows, err := s.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := make([]store.Execution, 0, limit)
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	items, next := store.TrimPage(items, limit)
	return items, next, nil
}

// MarkInterrupted implements store.Store.
func (s *Store) MarkInterrupted(ctx context.Context, startedBefore time.Time) (int64, error) {
	res, err := s.writer.ExecContext(ctx,
		`UPDATE executions SET status = ?, finished_at = ? WHERE status = ? AND created_at < ?`,
		store.StatusInterrupted, s.now().UnixMicro(), store.StatusRunning, startedBefore.UnixMicro())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// pruneBatch bounds how long one DELETE holds the single write lock, so
// runs being recorded meanwhile wait milliseconds, not the whole purge.
const pruneBatch = 1000

// Prune implements store.Store.
func (s *Store) Prune(ctx context.Context, olderThan time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.writer.ExecContext(ctx, `DELETE FROM executions WHERE id IN
			(SELECT id FROM executions WHERE created_at < ? LIMIT ?)`,
			olderThan.UnixMicro(), pruneBatch)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

type scanner interface{ Scan(dest ...any) error }

// scan reads columns, then extra (columns some queries add after them).
func scan(r scanner, extra ...any) (store.Execution, error) {
	var (
		e              store.Execution
		exit, finished sql.NullInt64
		wall, cpu      int64
		created        int64
	)
	dest := []any{&e.ID, &e.UserID, &e.Language, &e.Environment, &e.Status, &exit,
		&wall, &cpu, &e.MemoryPeakBytes, &e.Truncated, &e.Code, &e.Output,
		&e.ErrorOutput, &e.ContentID, &e.CodeBlockID, &created, &finished, &e.CodeSHA256}
	err := r.Scan(append(dest, extra...)...)
	if err != nil {
		return store.Execution{}, err
	}
	if exit.Valid {
		c := int(exit.Int64)
		e.ExitCode = &c
	}
	e.WallTime, e.CPUTime = time.Duration(wall), time.Duration(cpu)
	e.CreatedAt = time.UnixMicro(created).UTC()
	e.FinishedAt = fromMicros(finished)
	return e, nil
}

func exitCode(c *int) any {
	if c == nil {
		return nil
	}
	return int64(*c)
}

func micros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMicro(v.Int64).UTC()
	return &t
}
