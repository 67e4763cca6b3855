package container

import (
	"context"
	"slices"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// warmPool keeps containers created, started and waiting for their files,
// so a run skips the engine's create and start. Each serves one run only:
// nothing a program leaves behind can reach the next.
type warmPool struct {
	r     *Runtime
	lang  sandbox.Language
	ready chan *running
	// wake asks fill for a replacement when one was taken.
	wake chan struct{}
}

func newWarmPool(r *Runtime, n int) *warmPool {
	return &warmPool{r: r, lang: r.cfg.WarmLanguage, ready: make(chan *running, n), wake: make(chan struct{}, 1)}
}

// fits reports whether a warm container (default limits) can serve the run:
// the wall time and output cap are enforced outside the container.
func (p *warmPool) fits(lang sandbox.Language, l sandbox.Limits) bool {
	d := p.r.cfg.Defaults
	return slices.Equal(lang.Run, p.lang.Run) && l.MemoryBytes == d.MemoryBytes && l.CPUs == d.CPUs &&
		l.Pids == d.Pids && l.TmpBytes == d.TmpBytes && l.FileBytes == d.FileBytes
}

// take returns a live warm container for the run, or nil.
func (p *warmPool) take(lang sandbox.Language, l sandbox.Limits) *running {
	if p == nil || !p.fits(lang, l) {
		return nil
	}
	for {
		select {
		case c := <-p.ready:
			p.poke()
			select {
			case <-c.copied: // it ended while waiting: useless
				c.conn.Close()
				p.r.removeLater(c.id)
				continue
			default:
				return c
			}
		default:
			p.poke()
			return nil
		}
	}
}

func (p *warmPool) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// fill tops the pool up whenever a slot is free, backing off while the
// engine fails.
func (p *warmPool) fill(ctx context.Context) {
	backoff := time.Second
	for {
		for len(p.ready) < cap(p.ready) {
			select {
			case p.r.slots <- struct{}{}:
			default:
				goto wait // all slots busy with runs: try again when one is taken
			}
			c, err := p.r.start(ctx, p.lang, p.r.cfg.Defaults)
			if err != nil {
				<-p.r.slots
				if ctx.Err() != nil {
					return
				}
				p.r.log.Warn("container: warm start failed", "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, time.Minute)
				continue
			}
			backoff = time.Second
			p.ready <- c
		}
	wait:
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-time.After(5 * time.Second):
		}
	}
}

// drain removes the waiting containers.
func (p *warmPool) drain() {
	for {
		select {
		case c := <-p.ready:
			c.conn.Close()
			p.r.remove(c.id)
			<-p.r.slots
		default:
			return
		}
	}
}
