// Package frontdoor is the one way into the sandbox: it owns all sandbox
// capacity (admission to slots, the queue and its limits) and the warm
// pools of pre-started sandboxes, and it implements sandbox.Runtime so
// callers keep their shape. The backend (bwrap today) only isolates; it is
// picked from the configuration by NewBackend.
package frontdoor

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

var (
	_ sandbox.Runtime = (*FrontDoor)(nil)
	_ sandbox.Checker = (*FrontDoor)(nil)
)

// Config assembles a front door.
type Config struct {
	Backend  sandbox.Runtime // required
	Admitter Admitter        // required
	Logger   *slog.Logger
}

// FrontDoor admits, then runs on a warm sandbox when one fits, else cold.
type FrontDoor struct {
	backend sandbox.Runtime
	adm     Admitter
	log     *slog.Logger
	mu      sync.Mutex
	pools   []*pool
	runPool *runPool // nil: every run starts cold
}

// New returns a front door over cfg.Backend.
func New(cfg Config) (*FrontDoor, error) {
	if cfg.Backend == nil || cfg.Admitter == nil {
		return nil, errors.New("frontdoor: backend and admitter are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &FrontDoor{backend: cfg.Backend, adm: cfg.Admitter, log: cfg.Logger}, nil
}

// Backend is the runtime under the front door (for its own reports).
func (f *FrontDoor) Backend() sandbox.Runtime { return f.backend }

// Admitter is the front door's admission (for queue statistics).
func (f *FrontDoor) Admitter() Admitter { return f.adm }

type admittedKey struct{}
type ticketKey struct{}

// WithTicket names who a sandbox started under ctx is for, when the caller
// lets Run admit it (Enter is the other way).
func WithTicket(ctx context.Context, t Ticket) context.Context {
	return context.WithValue(ctx, ticketKey{}, t)
}

// Enter admits t and returns a context that carries the slot: every
// sandbox started under it (a policy check, then the run) uses that slot
// instead of queueing again. release gives the slot back.
func (f *FrontDoor) Enter(ctx context.Context, t Ticket, onQueued func(int, time.Duration)) (context.Context, func(), error) {
	if admitted(ctx) {
		return ctx, func() {}, nil
	}
	release, err := f.adm.Admit(ctx, t, onQueued)
	if err != nil {
		return ctx, nil, err
	}
	return context.WithValue(ctx, admittedKey{}, t.Kind), release, nil
}

func admitted(ctx context.Context) bool { return admittedAs(ctx) != "" }

// admittedAs is the kind of the ticket ctx's slot was admitted for.
func admittedAs(ctx context.Context) Kind { k, _ := ctx.Value(admittedKey{}).(Kind); return k }

// Run implements sandbox.Runtime. A run not entered yet is admitted here,
// as the ticket in ctx says (a probe when there is none).
func (f *FrontDoor) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	if !admitted(ctx) {
		t, ok := ctx.Value(ticketKey{}).(Ticket)
		if !ok {
			t = Ticket{Kind: KindProbe}
		}
		var release func()
		var err error
		if ctx, release, err = f.Enter(ctx, t, nil); err != nil {
			return sandbox.Result{}, err
		}
		defer release()
	}
	if w := f.takeWarm(req); w != nil {
		return w.use(ctx, req)
	}
	f.mu.Lock()
	rp := f.runPool
	f.mu.Unlock()
	if rp != nil {
		if res, ok, err := rp.run(ctx, req, admittedAs(ctx)); ok {
			return res, err
		}
	}
	return f.backend.Run(ctx, req)
}

// Check implements sandbox.Checker: the backend's report, admitted as a
// probe (it starts a sandbox).
func (f *FrontDoor) Check(ctx context.Context) sandbox.Report {
	c, ok := f.backend.(sandbox.Checker)
	if !ok {
		return sandbox.Report{Runtime: "unknown"}
	}
	ctx, release, err := f.Enter(ctx, Ticket{Kind: KindProbe}, nil)
	if err != nil {
		return sandbox.Report{Runtime: "frontdoor", Items: []sandbox.CheckResult{{Name: "admission", Required: true, Detail: err.Error()}}}
	}
	defer release()
	return c.Check(ctx)
}

// Close ends the warm pools, then the backend.
func (f *FrontDoor) Close() error {
	f.mu.Lock()
	pools := f.pools
	f.pools = nil
	rp := f.runPool
	f.runPool = nil
	f.mu.Unlock()
	if rp != nil {
		rp.close()
	}
	for _, p := range pools {
		p.close()
	}
	if c, ok := f.backend.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
