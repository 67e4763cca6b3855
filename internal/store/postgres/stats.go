package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/runblock/runblock/internal/store"
)

// snapshot runs fn in a read-only REPEATABLE READ transaction so that the
// several queries behind one answer see the same data.
func (s *Store) snapshot(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// UserStats implements store.Store.
func (s *Store) UserStats(ctx context.Context, userID string) (store.UserStats, error) {
	st := store.UserStats{ByLanguage: map[string]int64{}, ByEnvironment: map[string]int64{}}
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		var finished, wallSum int64
		err := tx.QueryRow(ctx, `SELECT COUNT(*),
				COUNT(*) FILTER (WHERE status = 'success'),
				COUNT(*) FILTER (WHERE status <> 'running'),
				COALESCE(SUM(wall_time_ns) FILTER (WHERE status <> 'running'), 0)::bigint,
				MAX(created_at)
			FROM executions WHERE user_id = $1`, userID).
			Scan(&st.TotalExecutions, &st.Successes, &finished, &wallSum, &st.LastRunAt)
		if err != nil {
			return err
		}
		if finished > 0 {
			st.SuccessRate = float64(st.Successes) / float64(finished)
			st.AvgWallTime = time.Duration(wallSum / finished)
		}
		if st.LastRunAt != nil {
			t := st.LastRunAt.UTC()
			st.LastRunAt = &t
		}
		rows, err := tx.Query(ctx, `
			SELECT 'l', language, COUNT(*) FROM executions WHERE user_id = $1 GROUP BY language
			UNION ALL
			SELECT 'e', environment, COUNT(*) FROM executions WHERE user_id = $1 GROUP BY environment`,
			userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var kind, key string
			var n int64
			if err := rows.Scan(&kind, &key, &n); err != nil {
				return err
			}
			if kind == "l" {
				st.ByLanguage[key] = n
			} else {
				st.ByEnvironment[key] = n
			}
		}
		return rows.Err()
	})
	return st, err
}

// UserBlockStats implements store.Store.
func (s *Store) UserBlockStats(ctx context.Context, userID, contentID string) (map[string]store.BlockStats, error) {
	return s.blockStats(ctx, contentID, userID)
}

// BlockStats implements store.Store.
func (s *Store) BlockStats(ctx context.Context, contentID string) (map[string]store.BlockStats, error) {
	return s.blockStats(ctx, contentID, "")
}

// blockStats filters on userID unless it is empty. The median uses the same
// window-function formulation as the SQLite engine (rather than
// percentile_cont) so both engines return identical integers.
func (s *Store) blockStats(ctx context.Context, contentID, userID string) (map[string]store.BlockStats, error) {
	out := map[string]store.BlockStats{}
	const filter = `content_id = $1 AND code_block_id <> '' AND ($2 = '' OR user_id = $2)`
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT code_block_id, COUNT(*),
				COUNT(*) FILTER (WHERE status = 'success'), COUNT(DISTINCT user_id), MAX(created_at)
			FROM executions WHERE `+filter+` GROUP BY code_block_id`, contentID, userID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b store.BlockStats
			if err := rows.Scan(&b.CodeBlockID, &b.Runs, &b.Successes, &b.Users, &b.LastRunAt); err != nil {
				rows.Close()
				return err
			}
			if b.LastRunAt != nil {
				t := b.LastRunAt.UTC()
				b.LastRunAt = &t
			}
			out[b.CodeBlockID] = b
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `WITH ranked AS (
				SELECT code_block_id AS b, wall_time_ns AS w,
					ROW_NUMBER() OVER (PARTITION BY code_block_id ORDER BY wall_time_ns) AS rn,
					COUNT(*) OVER (PARTITION BY code_block_id) AS n
				FROM executions WHERE `+filter+` AND status <> 'running')
			SELECT b, SUM(w)::bigint / COUNT(*) FROM ranked
			WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY b`, contentID, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var median int64
			if err := rows.Scan(&id, &median); err != nil {
				return err
			}
			b := out[id]
			b.MedianWallTime = time.Duration(median)
			out[id] = b
		}
		return rows.Err()
	})
	return out, err
}
