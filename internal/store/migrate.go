package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// MigrationsTable is not golang-migrate's default so that another component
// sharing the database cannot collide with the store's history.
const MigrationsTable = "store_schema_migrations"

// Migrate runs step (Up, Down, Steps…) over the migrations in dir of fsys
// through drv, which it closes. It reports whether anything changed, and
// stops between migrations when ctx ends.
func Migrate(ctx context.Context, fsys fs.FS, dir, driverName string, drv database.Driver, step func(*migrate.Migrate) error) (changed bool, err error) {
	src, err := iofs.New(fsys, dir)
	if err != nil {
		drv.Close()
		return false, fmt.Errorf("migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, driverName, drv)
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
