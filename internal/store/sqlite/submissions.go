package sqlite

import (
	"context"

	"github.com/runblock/runblock/internal/store"
)

var _ store.Submissions = (*Store)(nil)

// CreateSubmission implements store.Submissions.
func (s *Store) CreateSubmission(ctx context.Context, sub *store.Submission) error {
	if err := store.PrepareSubmission(sub, s.now()); err != nil {
		return err
	}
	failed, err := store.EncodeFailedTests(sub.FailedTests)
	if err != nil {
		return err
	}
	_, err = s.writer.ExecContext(ctx, `INSERT INTO submissions
		(id, user_id, content_id, code_block_id, status, passed, total, failed_tests, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sub.ID, sub.UserID, sub.ContentID, sub.CodeBlockID, sub.Status, sub.Passed, sub.Total, failed,
		sub.CreatedAt.UnixMicro())
	return err
}

// SolvedBlocks implements store.Submissions.
func (s *Store) SolvedBlocks(ctx context.Context, userID, contentID string) (map[string]bool, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT DISTINCT code_block_id FROM submissions
		WHERE user_id = ? AND content_id = ? AND status = 'passed'`, userID, contentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.ReadSolved(rows)
}

// ExerciseStats implements store.Submissions.
func (s *Store) ExerciseStats(ctx context.Context, contentID string) (map[string]store.ExerciseStats, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT code_block_id, user_id, status, failed_tests
		FROM submissions WHERE content_id = ? ORDER BY created_at, id`, contentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.ReadExerciseStats(rows)
}
