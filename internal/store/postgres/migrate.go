package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationsTable is not golang-migrate's default so that another component
// sharing the database cannot collide with the store's history.
const migrationsTable = "store_schema_migrations"

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
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{MigrationsTable: migrationsTable})
	if err != nil {
		db.Close()
		return false, fmt.Errorf("migrations: %w", err)
	}
	src, err := iofs.New(migrationFS, "migrations")
	if err != nil {
		drv.Close()
		return false, fmt.Errorf("migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		src.Close()
		drv.Close()
		return false, fmt.Errorf("migrations: %w", err)
	}
	defer m.Close()
	stop := context.AfterFunc(ctx, func() {
		select {
		case m.GracefulStop <- true:
		default:
		}
	})
	defer stop()
	err = step(m)
	if errors.Is(err, migrate.ErrNoChange) {
		return false, ctx.Err()
	}
	if err != nil {
		return false, fmt.Errorf("migrations: %w", err)
	}
	return true, ctx.Err()
}
