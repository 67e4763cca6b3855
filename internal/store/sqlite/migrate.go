package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"

	"github.com/runblock/runblock/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

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
	drv, err := migratesqlite.WithInstance(db, &migratesqlite.Config{MigrationsTable: store.MigrationsTable})
	if err != nil {
		db.Close()
		return false, fmt.Errorf("migrations: %w", err)
	}
	return store.Migrate(ctx, migrationFS, "migrations", "sqlite", drv, step)
}
