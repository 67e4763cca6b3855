package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/runblock/runblock/internal/store"
)

const columns = `id, user_id, language, environment, status, exit_code, wall_time_ns,
	cpu_time_ns, memory_peak_bytes, truncated, code, output, error_output,
	content_id, code_block_id, created_at, finished_at, code_sha256`

// CreateExecution implements store.Store.
func (s *Store) CreateExecution(ctx context.Context, e *store.Execution) error {
	if err := store.PrepareCreate(e, s.now()); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO executions (`+columns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		e.ID, e.UserID, e.Language, e.Environment, e.Status, e.ExitCode,
		int64(e.WallTime), int64(e.CPUTime), e.MemoryPeakBytes, e.Truncated,
		e.Code, e.Output, e.ErrorOutput, e.ContentID, e.CodeBlockID,
		e.CreatedAt, e.FinishedAt, e.CodeSHA256)
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
	tag, err := s.pool.Exec(ctx, `UPDATE executions SET
		status = $1, exit_code = $2, wall_time_ns = $3, cpu_time_ns = $4,
		memory_peak_bytes = $5, truncated = $6, output = $7, error_output = $8,
		finished_at = $9, images = $12
		WHERE id = $10 AND ($11 = '' OR user_id = $11)`,
		e.Status, e.ExitCode, int64(e.WallTime), int64(e.CPUTime),
		e.MemoryPeakBytes, e.Truncated, e.Output, e.ErrorOutput,
		e.FinishedAt, e.ID, e.UserID, images)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// GetExecution implements store.Store.
func (s *Store) GetExecution(ctx context.Context, userID, id string) (store.Execution, error) {
	row := s.pool.QueryRow(ctx,
		`SELECT `+columns+`, images FROM executions WHERE id = $1 AND user_id = $2`, id, userID)
	var images string
	e, err := scan(row, &images)
	if errors.Is(err, pgx.ErrNoRows) {
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
	var rows pgx.Rows
	// One extra row tells whether a next page exists without a COUNT.
	if after {
		rows, err = s.pool.Query(ctx, `SELECT `+columns+` FROM executions
			WHERE user_id = $1 AND (created_at, id) < ($2, $3)
			ORDER BY created_at DESC, id DESC LIMIT $4`,
			userID, cur.CreatedAt, cur.ID, limit+1)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT `+columns+` FROM executions
			WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
			userID, limit+1)
	}
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
	tag, err := s.pool.Exec(ctx,
		`UPDATE executions SET status = $1, finished_at = $2 WHERE status = $3 AND created_at < $4`,
		store.StatusInterrupted, s.now().UTC().Truncate(time.Microsecond), store.StatusRunning, startedBefore.UTC())
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// pruneBatch keeps each DELETE's transaction, locks and WAL burst small.
const pruneBatch = 1000

// Prune implements store.Store.
func (s *Store) Prune(ctx context.Context, olderThan time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM executions WHERE id IN
			(SELECT id FROM executions WHERE created_at < $1 LIMIT $2)`,
			olderThan, pruneBatch)
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}

// scan reads columns, then extra (columns some queries add after them).
func scan(r pgx.Row, extra ...any) (store.Execution, error) {
	var (
		e         store.Execution
		exit      *int32
		wall, cpu int64
	)
	dest := []any{&e.ID, &e.UserID, &e.Language, &e.Environment, &e.Status, &exit,
		&wall, &cpu, &e.MemoryPeakBytes, &e.Truncated, &e.Code, &e.Output,
		&e.ErrorOutput, &e.ContentID, &e.CodeBlockID, &e.CreatedAt, &e.FinishedAt, &e.CodeSHA256}
	err := r.Scan(append(dest, extra...)...)
	if err != nil {
		return store.Execution{}, err
	}
	if exit != nil {
		c := int(*exit)
		e.ExitCode = &c
	}
	e.WallTime, e.CPUTime = time.Duration(wall), time.Duration(cpu)
	e.CreatedAt = e.CreatedAt.UTC()
	if e.FinishedAt != nil {
		t := e.FinishedAt.UTC()
		e.FinishedAt = &t
	}
	return e, nil
}
