package wasm

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/runblock/runblock/internal/sandbox"
)

// Runner runs WASI modules in-process with wazero. A module reaches only
// what WASI hands it: stdin, stdout, stderr, clocks and random bytes; no
// preopened directory, no socket, no environment. Its memory is bounded by
// an allocator that refuses to grow past the run's limit, its time by a
// context that wazero checks in every loop (WithCloseOnContextDone).
type Runner struct {
	rt       wazero.Runtime
	mu       sync.Mutex
	compiled map[string]*compiledEntry
	order    []string // oldest first
	keep     int
}

type compiledEntry struct {
	cm      wazero.CompiledModule
	refs    int
	evicted bool
}

// NewRunner returns a runner that keeps up to keep modules compiled to
// machine code (wazero's own compile costs more than a hello's run).
func NewRunner(ctx context.Context, keep int) (*Runner, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true))
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("wasm: wasi: %w", err)
	}
	return &Runner{rt: rt, compiled: map[string]*compiledEntry{}, keep: max(keep, 1)}, nil
}

// Close frees every compiled module.
func (r *Runner) Close(ctx context.Context) error { return r.rt.Close(ctx) }

// acquire returns m compiled, holding a reference until release.
func (r *Runner) acquire(ctx context.Context, m Module) (*compiledEntry, error) {
	r.mu.Lock()
	if e, ok := r.compiled[m.Hash]; ok {
		e.refs++
		r.mu.Unlock()
		return e, nil
	}
	r.mu.Unlock()
	cm, err := r.rt.CompileModule(ctx, m.Bytes)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.compiled[m.Hash]; ok { // compiled twice at once: keep one
		e.refs++
		cm.Close(ctx)
		return e, nil
	}
	e := &compiledEntry{cm: cm, refs: 1}
	r.compiled[m.Hash] = e
	r.order = append(r.order, m.Hash)
	for len(r.order) > r.keep {
		old := r.compiled[r.order[0]]
		delete(r.compiled, r.order[0])
		r.order = r.order[1:]
		old.evicted = true
		if old.refs == 0 {
			old.cm.Close(context.Background())
		}
	}
	return e, nil
}

func (r *Runner) release(e *compiledEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.refs--
	if e.evicted && e.refs == 0 {
		e.cm.Close(context.Background())
	}
}

const pageBytes = 64 << 10

// Run runs m's _start with req's stdio under req.Limits (memory, wall time,
// output). Like a sandbox run, a program that fails is a Result, not an
// error.
func (r *Runner) Run(ctx context.Context, m Module, req sandbox.Request) (sandbox.Result, error) {
	lim := req.Limits
	start := time.Now()
	e, err := r.acquire(ctx, m)
	if err != nil {
		return sandbox.Result{}, fmt.Errorf("wasm: compile module: %w", err)
	}
	defer r.release(e)
	res := sandbox.Result{Stage: sandbox.StageRun, Limits: lim}
	for _, mem := range e.cm.ExportedMemories() {
		if lim.MemoryBytes > 0 && int64(mem.Min())*pageBytes > lim.MemoryBytes {
			res.Status, res.ExitCode, res.OOMKilled = sandbox.StatusMemoryLimit, -1, true
			return res, nil
		}
	}

	out := sandbox.NewOutputCap(lim.OutputChars)
	stdout, stderr := out.Writer(req.Stdout), out.Writer(req.Stderr)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if lim.WallTime > 0 {
		var c2 context.CancelFunc
		runCtx, c2 = context.WithTimeout(runCtx, lim.WallTime)
		defer c2()
	}
	var flooded atomic.Bool
	go func() {
		select {
		case <-out.Flooded():
			flooded.Store(true)
			cancel()
		case <-runCtx.Done():
		}
	}()
	alloc := &limitAllocator{limit: lim.MemoryBytes}
	cfg := wazero.NewModuleConfig().WithName("").WithArgs("main").
		WithStdout(stdout).WithStderr(stderr).
		WithSysWalltime().WithSysNanotime().WithRandSource(rand.Reader)
	if req.Stdin != nil {
		cfg = cfg.WithStdin(&ctxReader{ctx: runCtx, r: req.Stdin})
	}
	mod, err := r.rt.InstantiateModule(experimental.WithMemoryAllocator(runCtx, alloc), e.cm, cfg)
	if mod != nil {
		mod.Close(context.Background())
	}
	stdout.Flush()
	stderr.Flush()
	res.WallTime = time.Since(start)
	res.CPUTime = res.WallTime // one goroutine, busy unless blocked on stdin
	res.MemoryPeak = alloc.peak.Load()
	res.Truncated = out.Truncated()

	var exit *sys.ExitError
	switch {
	case flooded.Load():
		res.Status, res.ExitCode, res.Signal = sandbox.StatusError, -1, "SIGKILL"
	case ctx.Err() != nil:
		res.Status, res.ExitCode = sandbox.StatusCancelled, -1
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		res.Status, res.ExitCode, res.Signal = sandbox.StatusTimeout, -1, "SIGKILL"
	case err == nil:
		res.Status = sandbox.StatusSuccess
	case errors.As(err, &exit) && exit.ExitCode() == 0:
		res.Status = sandbox.StatusSuccess
	case alloc.denied.Load():
		// malloc returned NULL or Rust's allocator aborted: either way the
		// program wanted more than its limit.
		res.Status, res.ExitCode, res.OOMKilled = sandbox.StatusMemoryLimit, -1, true
	case errors.As(err, &exit):
		res.Status, res.ExitCode = sandbox.StatusError, int(exit.ExitCode())
	default:
		// A trap (unreachable, out-of-bounds access, stack overflow): the
		// wasm counterpart of a signal. Its first line is the reason.
		msg, _, _ := strings.Cut(err.Error(), "\n")
		fmt.Fprintf(stderr, "\n%s\n", msg)
		stderr.Flush()
		res.Status, res.ExitCode, res.Signal = sandbox.StatusError, -1, "trap"
		res.Truncated = out.Truncated()
	}
	return res, nil
}

// limitAllocator backs a module's linear memory and refuses to grow it past
// limit bytes: memory.grow then returns -1 to the program, as mmap failing
// would. It records that it refused, so the run reports memory_limit.
type limitAllocator struct {
	limit  int64
	peak   atomic.Int64
	denied atomic.Bool
}

func (a *limitAllocator) Allocate(capacity, maxBytes uint64) experimental.LinearMemory {
	return &linearMemory{a: a}
}

type linearMemory struct {
	a   *limitAllocator
	buf []byte
}

func (m *linearMemory) Reallocate(size uint64) []byte {
	// The first call is the module's declared minimum, checked before
	// instantiation; refusing it would panic inside wazero.
	if m.buf != nil && m.a.limit > 0 && size > uint64(m.a.limit) {
		m.a.denied.Store(true)
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
	} else {
		// Grow geometrically, but never past the limit: reserving what
		// the program may not use would let it cost the host more.
		c := max(size, uint64(cap(m.buf))*2)
		if m.a.limit > 0 {
			c = min(c, max(size, uint64(m.a.limit)))
		}
		nb := make([]byte, size, c)
		copy(nb, m.buf)
		m.buf = nb
	}
	if int64(size) > m.a.peak.Load() {
		m.a.peak.Store(int64(size))
	}
	return m.buf
}

func (m *linearMemory) Free() { m.buf = nil }

// ctxReader makes a blocking stdin give up when the run ends: wazero calls
// Read on the module's goroutine, and a program waiting for input would
// otherwise outlive its time limit and Stop.
type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	pending chan readResult // a Read still in flight from an earlier call
	rest    []byte
}

type readResult struct {
	b   []byte
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		return n, nil
	}
	if c.pending == nil {
		ch := make(chan readResult, 1)
		buf := make([]byte, max(len(p), 512))
		go func() {
			n, err := c.r.Read(buf)
			ch <- readResult{buf[:n], err}
		}()
		c.pending = ch
	}
	select {
	case rr := <-c.pending:
		c.pending = nil
		n := copy(p, rr.b)
		c.rest = rr.b[n:]
		if n == 0 && rr.err != nil {
			return 0, rr.err
		}
		return n, nil
	case <-c.ctx.Done():
		return 0, io.EOF
	}
}
