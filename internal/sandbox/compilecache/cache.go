// Package compilecache keeps what compile steps produce, keyed by the
// compiler (its path, size and modification time: an upgrade changes it),
// the compile argv and environment, and every source file, so that the same
// program compiles once. It wraps a sandbox.Runtime: on a hit the request
// runs without its compile step, with the cached files placed next to the
// source and the compiler's output (warnings) written first, as the learner
// saw it the first time. Entries are held in memory, least recently used
// first out past the size bound.
package compilecache

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"slices"
	"sort"
	"sync"

	"github.com/runblock/runblock/internal/sandbox"
)

// Cache is a sandbox.Runtime with a compile cache in front of next.
type Cache struct {
	next     sandbox.Runtime
	maxBytes int64

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     *list.List // front: most recently used
	size    int64
	hits    int64
	misses  int64
}

type entry struct {
	key            string
	files          []sandbox.File
	stdout, stderr []byte
	size           int64
}

// New wraps next with a cache of at most maxBytes of artifacts.
func New(next sandbox.Runtime, maxBytes int64) *Cache {
	return &Cache{next: next, maxBytes: maxBytes, entries: map[string]*list.Element{}, lru: list.New()}
}

// Stats are the hits and misses so far.
func (c *Cache) Stats() (hits, misses int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// Prewarm passes a warm pool's start on to the runtime the cache wraps
// (the front door): the cache has no pools of its own, and hiding them
// would leave every server start cold until each kind's first run.
func (c *Cache) Prewarm(req sandbox.Request) bool {
	if pw, ok := c.next.(interface{ Prewarm(sandbox.Request) bool }); ok {
		return pw.Prewarm(req)
	}
	return false
}

// Run implements sandbox.Runtime.
func (c *Cache) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	if len(req.Language.Compile) == 0 || c.maxBytes <= 0 {
		return c.next.Run(ctx, req)
	}
	key, ok := keyOf(req)
	if !ok {
		return c.next.Run(ctx, req)
	}
	if e := c.get(key); e != nil {
		writeAll(req.Stdout, e.stdout)
		writeAll(req.Stderr, e.stderr)
		hit := req
		hit.Language.Compile = nil
		hit.Files = append(slices.Clone(req.Files), e.files...)
		if len(req.Files) > 0 && req.Files[0].Name == "" {
			hit.Files[0].Name = req.Language.FileName
		}
		return c.next.Run(ctx, hit)
	}
	// A miss: the compile step's output so far is its own (warnings).
	var out, errb capture
	miss := req
	miss.Stdout, miss.Stderr = out.tee(req.Stdout), errb.tee(req.Stderr)
	miss.Compiled = func(files []sandbox.File) {
		if req.Compiled != nil {
			req.Compiled(files)
		}
		if len(files) > 0 {
			c.put(key, files, out.stop(), errb.stop())
		}
	}
	return c.next.Run(ctx, miss)
}

func (c *Cache) get(key string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		c.misses++
		return nil
	}
	c.hits++
	c.lru.MoveToFront(el)
	return el.Value.(*entry)
}

func (c *Cache) put(key string, files []sandbox.File, stdout, stderr []byte) {
	e := &entry{key: key, files: files, stdout: stdout, stderr: stderr, size: int64(len(stdout) + len(stderr))}
	for _, f := range files {
		e.size += int64(len(f.Content))
	}
	if e.size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		return
	}
	c.entries[key] = c.lru.PushFront(e)
	c.size += e.size
	for c.size > c.maxBytes {
		old := c.lru.Back()
		oe := old.Value.(*entry)
		c.lru.Remove(old)
		delete(c.entries, oe.key)
		c.size -= oe.size
	}
}

// keyOf hashes what decides a compile's result. ok is false when the
// compiler can't be identified (then nothing is cached).
func keyOf(req sandbox.Request) (string, bool) {
	lang := req.Language
	info, err := os.Stat(lang.Compile[0])
	if err != nil {
		return "", false
	}
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(lang.Name))
	field([]byte(lang.FileName))
	field([]byte(info.ModTime().UTC().String()))
	field(binary.BigEndian.AppendUint64(nil, uint64(info.Size())))
	for _, a := range lang.Compile {
		field([]byte(a))
	}
	keys := make([]string, 0, len(lang.Env))
	for k := range lang.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field([]byte(k + "=" + lang.Env[k]))
	}
	for _, f := range req.Files {
		field([]byte(f.Name))
		field(f.Content)
	}
	return hex.EncodeToString(h.Sum(nil)), true
}

// capture keeps what passes through until stop.
type capture struct {
	mu      sync.Mutex
	b       bytes.Buffer
	stopped bool
}

func (c *capture) tee(w io.Writer) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		c.mu.Lock()
		if !c.stopped {
			c.b.Write(p)
		}
		c.mu.Unlock()
		if w == nil {
			return len(p), nil
		}
		return w.Write(p)
	})
}

func (c *capture) stop() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	return bytes.Clone(c.b.Bytes())
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func writeAll(w io.Writer, b []byte) {
	if w != nil && len(b) > 0 {
		_, _ = w.Write(b)
	}
}
