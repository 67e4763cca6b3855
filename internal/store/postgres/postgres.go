// Package postgres is the store.Store engine for PostgreSQL, built on pgx v5.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/runblock/runblock/internal/store"
)

var _ store.Store = (*Store)(nil)

// Store is safe for concurrent use; PostgreSQL handles concurrent writers
// itself, so the pool needs no single-writer arrangement.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// New connects to dsn (a postgres:// URL or key=value string), applies
// pending migrations and returns the store. The DSN is not echoed in errors
// because it may carry a password.
func New(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres store: parse dsn: %w", err)
	}
	if _, err := migrateUp(ctx, cfg.ConnConfig); err != nil {
		return nil, fmt.Errorf("postgres store %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return &Store{pool: pool, now: time.Now}, nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close implements store.Store. It waits for connections in use to be
// returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
