package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationsTable is not golang-migrate's default so that another component
// using the same database file cannot collide with the store's history.
const migrationsTable = "store_schema_migrations"

// migrateUp applies pending migrations over a connection of its own (the
// driver closes what it is given) and reports whether anything changed.
func migrateUp(ctx context.Context, dsn string) (changed bool, err error) {
	return runMigrations(ctx, dsn, func(m *migrate.Migrate) error { return m.Up() })
}

func runMigrations(ctx context.Context, dsn string, step func(*migrate.Migrate) error) (changed bool, err error) {
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return false, err
	}
	db.SetMaxOpenConns(1)
	drv, err := migratesqlite.WithInstance(db, &migratesqlite.Config{MigrationsTable: migrationsTable})
	if err != nil {
		db.Close()
		return false, fmt.Errorf("migrations: %w", err)
	}
	src, err := iofs.New(migrationFS, "migrations")
	if err != nil {
		drv.Close()
		return false, fmt.Errorf("migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "sqlite", drv)
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
