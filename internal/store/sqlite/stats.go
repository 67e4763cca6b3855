package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/runblock/runblock/internal/store"
)

// UserStats implements store.Store. The queries share one read transaction
// so that totals and breakdowns describe the same snapshot.
func (s *Store) UserStats(ctx context.Context, userID string) (store.UserStats, error) {
	st := store.UserStats{ByLanguage: map[string]int64{}, ByEnvironment: map[string]int64{}}
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, err
	}
	defer tx.Rollback()

	var finished, wallSum int64
	var last sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*),
			COALESCE(SUM(status = 'success'), 0),
			COALESCE(SUM(status <> 'running'), 0),
			COALESCE(SUM(CASE WHEN status <> 'running' THEN wall_time_ns END), 0),
			MAX(created_at)
		FROM executions WHERE user_id = ?`, userID).
		Scan(&st.TotalExecutions, &st.Successes, &finished, &wallSum, &last)
	if err != nil {
		return st, err
	}
	if finished > 0 {
		st.SuccessRate = float64(st.Successes) / float64(finished)
		st.AvgWallTime = time.Duration(wallSum / finished)
	}
	st.LastRunAt = fromMicros(last)

	rows, err := tx.QueryContext(ctx, `
		SELECT 'l', language, COUNT(*) FROM executions WHERE user_id = ? GROUP BY language
		UNION ALL
		SELECT 'e', environment, COUNT(*) FROM executions WHERE user_id = ? GROUP BY environment`,
		userID, userID)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, key string
		var n int64
		if err := rows.Scan(&kind, &key, &n); err != nil {
			return st, err
		}
		if kind == "l" {
			st.ByLanguage[key] = n
		} else {
			st.ByEnvironment[key] = n
		}
	}
	return st, rows.Err()
}

// UserBlockStats implements store.Store.
func (s *Store) UserBlockStats(ctx context.Context, userID, contentID string) (map[string]store.BlockStats, error) {
	return s.blockStats(ctx, contentID, userID)
}

// BlockStats implements store.Store.
func (s *Store) BlockStats(ctx context.Context, contentID string) (map[string]store.BlockStats, error) {
	return s.blockStats(ctx, contentID, "")
}

// blockStats filters on userID unless it is empty. The median is taken with
// window functions so only the one or two middle rows per block leave the
// database, however many runs a popular lesson has.
func (s *Store) blockStats(ctx context.Context, contentID, userID string) (map[string]store.BlockStats, error) {
	out := map[string]store.BlockStats{}
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	const filter = `content_id = ? AND code_block_id <> '' AND (? = '' OR user_id = ?)`
	rows, err := tx.QueryContext(ctx, `SELECT code_block_id, COUNT(*),
			COALESCE(SUM(status = 'success'), 0), COUNT(DISTINCT user_id), MAX(created_at)
		FROM executions WHERE `+filter+` GROUP BY code_block_id`,
		contentID, userID, userID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var b store.BlockStats
		var last sql.NullInt64
		if err := rows.Scan(&b.CodeBlockID, &b.Runs, &b.Successes, &b.Users, &last); err != nil {
			rows.Close()
			return nil, err
		}
		b.LastRunAt = fromMicros(last)
		out[b.CodeBlockID] = b
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = tx.QueryContext(ctx, `WITH ranked AS (
			SELECT code_block_id AS b, wall_time_ns AS w,
				ROW_NUMBER() OVER (PARTITION BY code_block_id ORDER BY wall_time_ns) AS rn,
				COUNT(*) OVER (PARTITION BY code_block_id) AS n
			FROM executions WHERE `+filter+` AND status <> 'running')
		SELECT b, SUM(w) / COUNT(*) FROM ranked
		WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY b`,
		contentID, userID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var median int64
		if err := rows.Scan(&id, &median); err != nil {
			return nil, err
		}
		b := out[id]
		b.MedianWallTime = time.Duration(median)
		out[id] = b
	}
	return out, rows.Err()
}
