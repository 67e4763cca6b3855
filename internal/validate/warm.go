package validate

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// warmPool keeps Python checkers started ahead of requests. Starting the
// interpreter and importing ast and json costs more than the check itself
// (~11 ms of imports for a few ms of parsing), so a checker that has done
// both and waits on stdin answers much sooner. Every checker is still a
// fresh sandbox used once, and it never sees code before it is taken.
type warmPool struct {
	start  func(ctx context.Context, stdin io.Reader, out *checkerOutput) (sandbox.Result, error)
	ready  chan *warmChecker
	maxAge time.Duration
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

type warmChecker struct {
	stdin  *io.PipeWriter
	out    *checkerOutput
	cancel context.CancelFunc
	done   chan struct{} // closed when the sandbox has ended
	res    sandbox.Result
	err    error
	born   time.Time
}

func newWarmPool(size int, maxAge time.Duration, start func(context.Context, io.Reader, *checkerOutput) (sandbox.Result, error)) *warmPool {
	ctx, stop := context.WithCancel(context.Background())
	p := &warmPool{start: start, ready: make(chan *warmChecker, size), maxAge: maxAge, ctx: ctx, stop: stop}
	p.wg.Add(1)
	go p.fill()
	return p
}

// fill keeps the pool full: a new checker starts as soon as one is taken.
func (p *warmPool) fill() {
	defer p.wg.Done()
	for {
		w := p.launch()
		select {
		case p.ready <- w:
		case <-p.ctx.Done():
			w.discard()
			return
		}
	}
}

func (p *warmPool) launch() *warmChecker {
	ctx, cancel := context.WithCancel(p.ctx)
	pr, pw := io.Pipe()
	w := &warmChecker{stdin: pw, out: &checkerOutput{}, cancel: cancel, done: make(chan struct{}), born: time.Now()}
	go func() {
		w.res, w.err = p.start(ctx, pr, w.out)
		pr.Close()
		cancel()
		close(w.done)
	}()
	return w
}

// take returns a fresh warm checker, or nil when none is ready (the caller
// then starts one the ordinary way).
func (p *warmPool) take() *warmChecker {
	if p == nil {
		return nil
	}
	for {
		select {
		case w := <-p.ready:
			select {
			case <-w.done: // it died while waiting (should not happen)
				continue
			default:
			}
			if time.Since(w.born) > p.maxAge {
				w.discard()
				continue
			}
			return w
		default:
			return nil
		}
	}
}

// check feeds the request to the checker and waits for it, at most limit.
func (w *warmChecker) check(ctx context.Context, in []byte, limit time.Duration) (*checkerOutput, sandbox.Result, error) {
	go func() {
		// The pipe has no buffer: write from here so a checker that never
		// reads can't block the caller past its deadline.
		_, _ = w.stdin.Write(in)
		w.stdin.Close()
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-w.done:
	case <-ctx.Done():
		w.discard()
	case <-timer.C:
		w.discard()
		return w.out, sandbox.Result{Status: sandbox.StatusTimeout}, nil
	}
	return w.out, w.res, w.err
}

// discard ends an unused or abandoned checker and waits until it is gone.
func (w *warmChecker) discard() {
	w.cancel()
	w.stdin.CloseWithError(context.Canceled)
	<-w.done
}

// close stops refilling and ends the waiting checkers.
func (p *warmPool) close() {
	p.stop()
	p.wg.Wait()
	for {
		select {
		case w := <-p.ready:
			w.discard()
		default:
			return
		}
	}
}
