package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/runblock/runblock/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrateUp applies pending migrations and reports whether anything changed.
// The driver serialises concurrent callers (several instances starting at
// once) with an advisory lock.
func migrateUp(ctx context.Context, cfg *pgx.ConnConfig) (changed bool, err error) {
	return runMigrations(ctx, cfg, func(m *migrate.Migrate) error { return m.Up() })
}

// runMigrations uses a database/sql connection of its own because that is
// what the driver takes, and it closes it when done.
func runMigrations(ctx context.Context, cfg *pgx.ConnConfig, step func(*migrate.Migrate) error) (changed bool, err error) {
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return false, err
	}
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{MigrationsTable: store.MigrationsTable})
	if err != nil {
		db.Close()
		return false, fmt.Errorf("migrations: %w", err)
	}
	return store.Migrate(ctx, migrationFS, "migrations", "pgx5", drv, step)
}
