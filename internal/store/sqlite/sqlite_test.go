package sqlite

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/golang-migrate/migrate/v4"
	"github.com/runblock/runblock/internal/store"
	"github.com/runblock/runblock/internal/store/storetest"
)

func newTestStore(t testing.TB, path string) *Store {
	t.Helper()
	s, err := New(context.Background(), path)
	if err != nil {
		t.Fatalf("New(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return newTestStore(t, filepath.Join(t.TempDir(), "runblock.db"))
	})
}

func TestPersistsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data.db")
	s, err := New(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	e := store.Execution{ID: "keep-me", UserID: "u", Code: "print(1)"}
	if err := s.CreateExecution(ctx, &e); err != nil {
		t.Fatal(err)
	}
	e.Status, e.Output = store.StatusSuccess, "1\n"
	if err := s.FinishExecution(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = newTestStore(t, path)
	got, err := s.GetExecution(ctx, "u", "keep-me")
	if err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if got.Status != store.StatusSuccess || got.Output != "1\n" {
		t.Errorf("after reopen got %+v", got)
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	changed, err := migrateUp(ctx, dsn(path, false))
	if err != nil || !changed {
		t.Fatalf("first migrateUp on empty file = %v, %v; want changed", changed, err)
	}
	changed, err = migrateUp(ctx, dsn(path, false))
	if err != nil || changed {
		t.Fatalf("second migrateUp = %v, %v; want no-op", changed, err)
	}
	s := newTestStore(t, path) // New applies migrations again: must be a no-op too.
	e := store.Execution{UserID: "u"}
	if err := s.CreateExecution(ctx, &e); err != nil {
		t.Fatal(err)
	}
	var version int
	var dirty bool
	err = s.reader.QueryRowContext(ctx, `SELECT version, dirty FROM `+store.MigrationsTable).Scan(&version, &dirty)
	if err != nil || version != 4 || dirty {
		t.Fatalf("schema version = %d dirty=%v err=%v; want 4 (submissions), clean", version, dirty, err)
	}
	s.Close()

	// The down migrations must undo everything so the file can be rebuilt.
	if _, err := runMigrations(ctx, dsn(path, false), func(m *migrate.Migrate) error { return m.Down() }); err != nil {
		t.Fatalf("down: %v", err)
	}
	if changed, err := migrateUp(ctx, dsn(path, false)); err != nil || !changed {
		t.Fatalf("up after down = %v, %v", changed, err)
	}
}

func TestOpenErrorsNamePath(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"missing directory":   filepath.Join(dir, "nope", "runblock.db"),
		"parent is a file":    filepath.Join(notDir, "runblock.db"),
		"path is a directory": dir,
	} {
		_, err := New(context.Background(), path)
		if err == nil {
			t.Errorf("%s: New(%s) succeeded", name, path)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name %s", name, err, path)
		}
	}
}

// TestUnwritableDirectory runs the check as an unprivileged user when the
// tests run as root, since root ignores directory permissions.
func TestUnwritableDirectory(t *testing.T) {
	if dir := os.Getenv("RUNBLOCK_TEST_RO_DIR"); dir != "" {
		path := filepath.Join(dir, "runblock.db")
		_, err := New(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not writable") {
			t.Fatalf("New in read-only directory: err = %v; want a 'not writable' error naming %s", err, path)
		}
		return
	}
	top, err := os.MkdirTemp("", "runblock-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	ro := filepath.Join(top, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Setenv("RUNBLOCK_TEST_RO_DIR", ro)
		TestUnwritableDirectory(t)
		return
	}
	// Re-run this test from a copy of the test binary as "nobody", which
	// must be able to reach both the binary and the directory.
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(top, "store.test")
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestUnwritableDirectory$", "-test.count=1", "-test.v=true")
	cmd.Env = append(os.Environ(), "RUNBLOCK_TEST_RO_DIR="+ro, "HOME="+top, "TMPDIR="+top)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("unprivileged run failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestUnwritableDirectory") {
		t.Fatalf("unprivileged run did not pass:\n%s", out)
	}
}

func BenchmarkRecordExecution(b *testing.B) {
	s := newTestStore(b, filepath.Join(b.TempDir(), "bench.db"))
	storetest.BenchmarkRecord(b, s)
}
