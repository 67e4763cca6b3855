package content

import (
	"context"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Library holds the current Catalog and replaces it when the content
// changes. Readers call Current and keep using the snapshot they got; a
// reload never changes a snapshot in place.
type Library struct {
	dir  string
	opts Options
	log  *slog.Logger
	cur  atomic.Pointer[Catalog]

	mu sync.Mutex // serialises reloads so an older load never wins
	// stamp is the fingerprint taken just before the current catalog was
	// loaded; Watch reloads when the directory no longer matches it.
	stamp   uint64
	scanErr string
}

// NewLibrary loads dir. It fails only if dir cannot be read at all; problems
// in individual lessons are logged and available from Current().Problems().
func NewLibrary(dir string, logger *slog.Logger, opts Options) (*Library, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &Library{dir: dir, opts: opts, log: logger.With("content_dir", dir)}
	if _, err := l.Reload(); err != nil {
		return nil, err
	}
	return l, nil
}

// Current returns the latest successfully loaded catalog. It never returns
// nil after NewLibrary succeeded.
func (l *Library) Current() *Catalog { return l.cur.Load() }

// Reload loads the directory again and, on success, publishes the new
// catalog. On error the previous catalog stays current.
func (l *Library) Reload() ([]Problem, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Fingerprint before loading: a change made during the load then shows
	// up as a difference on the next Watch tick instead of being lost.
	stamp, ferr := fingerprint(l.dir)
	cat, probs, err := LoadWith(l.dir, l.opts)
	if err != nil {
		l.log.Error("content reload failed; keeping previous lessons", "err", err)
		return nil, err
	}
	if ferr == nil {
		l.stamp = stamp
	}
	l.cur.Store(cat)
	for _, p := range probs {
		l.log.Warn("content problem", "file", p.File, "line", p.Line, "problem", p.Message)
	}
	l.log.Info("content loaded", "lessons", len(cat.summaries), "problems", len(probs))
	return probs, nil
}

// Watch polls the directory every interval and reloads when a lesson file
// is added, removed, or changes size or modification time. Polling needs no
// OS-specific notification support and copes with network mounts and
// editors that replace files. It returns when ctx is done.
func (l *Library) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		stamp, err := fingerprint(l.dir)
		if err != nil {
			l.noteScanError(err)
			continue
		}
		l.mu.Lock()
		changed := stamp != l.stamp
		l.scanErr = ""
		l.mu.Unlock()
		if changed {
			l.Reload()
		}
	}
}

// noteScanError logs a failing scan once rather than on every tick.
func (l *Library) noteScanError(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if msg := err.Error(); msg != l.scanErr {
		l.scanErr = msg
		l.log.Warn("content watch cannot scan directory", "err", err)
	}
}

// fingerprint hashes the name, size and modification time of every file
// Load would read.
func fingerprint(dir string) (uint64, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, err
	}
	defer root.Close()
	h := fnv.New64a()
	err = walkLessons(root, func(rel string, err error) {
		h.Write([]byte(rel))
		h.Write([]byte{0})
		if err != nil {
			h.Write([]byte(err.Error()))
		} else if fi, err := root.Stat(filepath.FromSlash(rel)); err != nil {
			h.Write([]byte(err.Error()))
		} else {
			h.Write(strconv.AppendInt(nil, fi.Size(), 10))
			h.Write([]byte{0})
			h.Write(strconv.AppendInt(nil, fi.ModTime().UnixNano(), 10))
		}
		h.Write([]byte{'\n'})
	})
	return h.Sum64(), err
}
