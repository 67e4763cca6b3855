package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-migrate/migrate/v4"
	"github.com/jackc/pgx/v5"
	"github.com/runblock/runblock/internal/store"
	"github.com/runblock/runblock/internal/store/storetest"
)

const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func baseDSN() string {
	if v := os.Getenv("RUNBLOCK_TEST_POSTGRES_DSN"); v != "" {
		return v
	}
	return defaultTestDSN
}

// newDatabase creates an empty database with a random name, drops it when
// the test ends and returns its DSN. An unreachable server fails the test:
// these tests are part of the gate, not optional extras.
func newDatabase(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	base := baseDSN()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("PostgreSQL unreachable (set RUNBLOCK_TEST_POSTGRES_DSN or run scripts/ensure-postgres.sh): %v", err)
	}
	defer admin.Close(context.Background())
	buf := make([]byte, 6)
	rand.Read(buf)
	name := "runblock_test_" + hex.EncodeToString(buf)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			tb.Fatal(err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return base + " dbname=" + name
}

func newTestStore(tb testing.TB) *Store {
	tb.Helper()
	s, err := New(context.Background(), newDatabase(tb))
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newTestStore(t) })
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	dsn := newDatabase(t)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := migrateUp(ctx, cfg); err != nil || !changed {
		t.Fatalf("first migrateUp on empty database = %v, %v; want changed", changed, err)
	}
	if changed, err := migrateUp(ctx, cfg); err != nil || changed {
		t.Fatalf("second migrateUp = %v, %v; want no-op", changed, err)
	}

	// Several instances starting at once must not trip over each other.
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, 4)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = New(ctx, dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent New %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var version int
	var dirty bool
	err = stores[0].pool.QueryRow(ctx, `SELECT version, dirty FROM `+store.MigrationsTable).Scan(&version, &dirty)
	if err != nil || version != 4 || dirty {
		t.Fatalf("schema version = %d dirty=%v err=%v; want 4 (submissions), clean", version, dirty, err)
	}
	for _, s := range stores {
		s.Close()
	}

	if _, err := runMigrations(ctx, cfg, func(m *migrate.Migrate) error { return m.Down() }); err != nil {
		t.Fatalf("down: %v", err)
	}
	if changed, err := migrateUp(ctx, cfg); err != nil || !changed {
		t.Fatalf("up after down = %v, %v", changed, err)
	}
}

func TestNewErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := New(ctx, "postgres://postgres:secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"); err == nil {
		t.Error("New against a closed port succeeded")
	} else if strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks the password: %v", err)
	}
	if _, err := New(ctx, "postgres://%zz"); err == nil {
		t.Error("New with an unparsable DSN succeeded")
	}
}

func BenchmarkRecordExecution(b *testing.B) {
	storetest.BenchmarkRecord(b, newTestStore(b))
}
