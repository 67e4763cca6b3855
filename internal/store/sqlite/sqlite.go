// Package sqlite is the single-file store.Store engine, built on the cgo-free
// modernc.org/sqlite driver.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/runblock/runblock/internal/store"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

const driverName = "sqlite"

var _ store.Store = (*Store)(nil)

// Store keeps two pools: SQLite allows one writer at a time, so all writes go
// through a single connection (queued in Go instead of failing with
// SQLITE_BUSY), while WAL lets any number of readers run beside it.
type Store struct {
	path   string
	writer *sql.DB
	reader *sql.DB
	now    func() time.Time
	// on writer: the statements every run writes
	createExec, finishExec *sql.Stmt
}

// New opens (creating if needed) the database file at path and applies
// pending migrations.
func New(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite store: empty database path")
	}
	if err := checkWritable(path); err != nil {
		return nil, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	if _, err := migrateUp(ctx, dsn(path, false)); err != nil {
		return nil, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	s := &Store{path: path, now: time.Now}
	var err error
	if s.writer, err = openPool(ctx, dsn(path, false), 1); err != nil {
		return nil, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	if s.reader, err = openPool(ctx, dsn(path, true), 4); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	if s.createExec, err = s.writer.PrepareContext(ctx, createExecSQL); err == nil {
		s.finishExec, err = s.writer.PrepareContext(ctx, finishExecSQL)
	}
	if err != nil {
		s.writer.Close()
		s.reader.Close()
		return nil, fmt.Errorf("sqlite store %q: prepare: %w", path, err)
	}
	return s, nil
}

// dsn builds the connection string. synchronous=NORMAL is the usual WAL
// trade-off: an OS crash may lose the last commits, an app crash loses
// nothing, and each commit skips an fsync. busy_timeout covers other
// processes (backups, a second server) holding the write lock.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// Taking the write lock at BEGIN avoids the deadlock-prone upgrade
		// from a read lock in the middle of a transaction.
		q.Set("_txlock", "immediate")
	}
	return "file:" + uriPath.Replace(filepath.Clean(path)) + "?" + q.Encode()
}

// uriPath escapes the characters that would end or alter the path part of
// an SQLite URI filename.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

func openPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	// Connections are cheap to keep and costly to reopen (each runs the
	// pragmas), so never expire them.
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// checkWritable turns the failures SQLite would report late and vaguely
// ("unable to open database file") into an immediate, specific error. WAL
// needs to create -wal and -shm files beside the database, so the directory
// itself must be writable, not only the file.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("directory %s does not exist", dir)
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	probe, err := os.CreateTemp(dir, ".runblock-probe-*")
	if err != nil {
		return fmt.Errorf("directory %s is not writable: %w", dir, err)
	}
	name := probe.Name()
	probe.Close()
	os.Remove(name)
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return errors.New("path is a directory")
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("database file is not writable: %w", err)
		}
		f.Close()
	}
	return nil
}

// Ping checks that both pools still reach the file.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return err
	}
	return s.reader.PingContext(ctx)
}

// Close releases both pools. The WAL is checkpointed by SQLite when the last
// connection closes.
func (s *Store) Close() error {
	return errors.Join(s.createExec.Close(), s.finishExec.Close(), s.reader.Close(), s.writer.Close())
}
