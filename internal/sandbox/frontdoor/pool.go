package frontdoor

import (
	"bytes"
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// PoolSpec describes sandboxes to keep pre-started: the request they run,
// except its stdin and output, which are attached when one is used. A
// request matches the pool when its language name and files are the same.
type PoolSpec struct {
	Template sandbox.Request
	Size     int
	// MaxAge retires an idle sandbox, so none waits near its wall limit
	// (the template's wall limit must cover MaxAge plus the use).
	MaxAge time.Duration
}

// AddPool starts keeping spec.Size sandboxes of spec warm. They hold
// backend capacity (a uid each) but no admission slot: they are idle until
// a run that was admitted takes one.
func (f *FrontDoor) AddPool(spec PoolSpec) {
	p := newPool(spec, f.backend, f.log)
	f.mu.Lock()
	f.pools = append(f.pools, p)
	f.mu.Unlock()
}

func (f *FrontDoor) takeWarm(req sandbox.Request) *warm {
	f.mu.Lock()
	pools := f.pools
	f.mu.Unlock()
	for _, p := range pools {
		if p.matches(req) {
			return p.take()
		}
	}
	return nil
}

// pool keeps pre-started sandboxes. Starting an interpreter and importing
// its modules costs more than a small job itself, so one that has done
// both and waits on stdin answers much sooner. Every sandbox is still
// fresh, used once, and sees nothing of a request before it is taken.
type pool struct {
	spec    PoolSpec
	backend sandbox.Runtime
	// space holds one token per sandbox starting or idle, so the pool never
	// holds more than Size sandboxes' worth of backend capacity; a taken
	// sandbox runs under its request's admission slot and gives its token
	// back at once, so its replacement starts while it still runs.
	space  chan struct{}
	ready  chan *warm
	ctx    context.Context
	stop   context.CancelFunc
	filled chan struct{}  // closed when fill has returned
	wg     sync.WaitGroup // watch goroutines
	health *refillHealth
}

// warm is one pre-started sandbox. Its output is buffered until a user
// attaches, so nothing written at start-up is lost or seen early.
type warm struct {
	stdin  *io.PipeWriter
	stdout *lateWriter
	stderr *lateWriter
	cancel context.CancelFunc
	done   chan struct{} // closed when the sandbox has ended
	res    sandbox.Result
	err    error
	born   time.Time
	// claimed is set once by whoever ends its time in the pool: take (used
	// or retired) or watch (died idle). That one gives the space token back.
	claimed atomic.Bool
}

func newPool(spec PoolSpec, backend sandbox.Runtime, log logger) *pool {
	ctx, stop := context.WithCancel(context.Background())
	size := max(spec.Size, 1)
	p := &pool{spec: spec, backend: backend, space: make(chan struct{}, size), ready: make(chan *warm, size), ctx: ctx, stop: stop,
		filled: make(chan struct{}), health: &refillHealth{log: log, name: spec.Template.Language.Name}}
	go p.fill()
	return p
}

func (p *pool) matches(req sandbox.Request) bool {
	t := p.spec.Template
	if req.Language.Name != t.Language.Name || len(req.Files) != len(t.Files) {
		return false
	}
	for i := range req.Files {
		if req.Files[i].Name != t.Files[i].Name || !bytes.Equal(req.Files[i].Content, t.Files[i].Content) {
			return false
		}
	}
	return true
}

// fill keeps the pool full: a replacement starts as soon as a sandbox is
// taken, and several start at once after a burst. A sandbox that dies
// unused means the backend can't start them now; the pool then backs off
// and requests start cold meanwhile.
func (p *pool) fill() {
	defer close(p.filled)
	for {
		select {
		case p.space <- struct{}{}:
		case <-p.ctx.Done():
			return
		}
		if !p.health.hold(p.ctx) {
			<-p.space
			return
		}
		w := p.launch()
		p.wg.Add(1)
		go p.watch(w)
		p.ready <- w // never blocks: space bounds what is in ready
	}
}

// watch notices a sandbox that ended while it waited in the pool.
func (p *pool) watch(w *warm) {
	defer p.wg.Done()
	<-w.done
	if w.claimed.CompareAndSwap(false, true) {
		<-p.space
		if p.ctx.Err() == nil {
			p.health.died()
		}
	}
}

func (p *pool) launch() *warm {
	ctx, cancel := context.WithCancel(p.ctx)
	pr, pw := io.Pipe()
	w := &warm{stdin: pw, stdout: &lateWriter{}, stderr: &lateWriter{}, cancel: cancel, done: make(chan struct{}), born: time.Now()}
	req := p.spec.Template
	req.Stdin, req.Stdout, req.Stderr = pr, w.stdout, w.stderr
	go func() {
		w.res, w.err = p.backend.Run(ctx, req)
		pr.Close()
		cancel()
		close(w.done)
	}()
	return w
}

// take returns a warm sandbox, or nil when the pool is empty (the caller
// then starts one cold). A sandbox enters the pool as soon as it is
// launched, so the one taken may still be starting: it is further along
// than a cold start would be, and reads its input once it is ready.
func (p *pool) take() *warm {
	for {
		var w *warm
		select {
		case w = <-p.ready:
		default:
			return nil
		}
		if !w.claimed.CompareAndSwap(false, true) {
			continue // died while waiting; watch gave its token back
		}
		<-p.space
		select {
		case <-w.done:
			p.health.died()
			continue
		default:
		}
		if time.Since(w.born) > p.spec.MaxAge {
			w.discard()
			continue
		}
		p.health.ok()
		return w
	}
}

// use attaches req's input and output and waits for the sandbox, at most
// req's wall limit from now.
func (w *warm) use(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	start := time.Now()
	w.stdout.attach(req.Stdout)
	w.stderr.attach(req.Stderr)
	go func() {
		// The pipe has no buffer: write from here so a sandbox that never
		// reads can't block the caller past its deadline.
		if req.Stdin != nil {
			_, _ = io.Copy(w.stdin, req.Stdin)
		}
		w.stdin.Close()
	}()
	limit := req.Limits.WallTime
	if limit <= 0 {
		limit = 30 * time.Second
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-w.done:
	case <-ctx.Done():
		w.discard()
		return sandbox.Result{Status: sandbox.StatusCancelled, Stage: sandbox.StageRun, ExitCode: -1, Signal: "SIGKILL", WallTime: time.Since(start)}, nil
	case <-timer.C:
		w.discard()
		return sandbox.Result{Status: sandbox.StatusTimeout, Stage: sandbox.StageRun, ExitCode: -1, Signal: "SIGKILL", WallTime: time.Since(start), Limits: req.Limits}, nil
	}
	res := w.res
	res.WallTime = time.Since(start)
	return res, w.err
}

// discard ends an unused or abandoned sandbox and waits until it is gone.
func (w *warm) discard() {
	w.cancel()
	w.stdin.CloseWithError(context.Canceled)
	<-w.done
}

// close stops refilling and ends the waiting sandboxes.
func (p *pool) close() {
	p.stop()
	<-p.filled
	for {
		select {
		case w := <-p.ready:
			w.discard()
			continue
		default:
		}
		break
	}
	p.wg.Wait()
}

// lateWriter buffers writes until attach, then passes them on.
type lateWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	dst io.Writer
}

func (l *lateWriter) attach(dst io.Writer) {
	if dst == nil {
		dst = io.Discard
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dst = dst
	if l.buf.Len() > 0 {
		_, _ = dst.Write(l.buf.Bytes())
		l.buf.Reset()
	}
}

func (l *lateWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dst != nil {
		return l.dst.Write(b)
	}
	if l.buf.Len() < 64<<10 {
		l.buf.Write(b)
	}
	return len(b), nil
}
