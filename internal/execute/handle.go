package execute

import (
	"context"
	"sync"
	"time"
)

// RunHandle is one live run, from admission to its end: both HTTP handlers
// drive runs through it, and the service registers it (for input and Stop
// from other requests) while the program runs.
type RunHandle struct {
	id      string
	cancel  context.CancelFunc
	input   *InputQueue // nil unless the run is interactive
	started chan struct{}
	done    chan struct{}

	mu       sync.Mutex
	start    Outcome
	didStart bool
	out      Outcome
	err      error
}

// Start admits and runs req in the background and returns at once. With
// interactive set (and no stdin in req), the program's stdin is fed through
// Input. Cancel (or ctx ending) stops the run. The run's id is rio.ID (a new
// one when empty), so callbacks can name the run before it starts.
func (s *Service) Start(ctx context.Context, who Caller, req Request, rio IO, interactive bool) *RunHandle {
	ctx, cancel := context.WithCancel(ctx)
	if rio.ID == "" {
		rio.ID = NewID()
	}
	h := &RunHandle{id: rio.ID, cancel: cancel, started: make(chan struct{}), done: make(chan struct{})}
	if interactive && req.Stdin == nil {
		h.input = NewInputQueue(s.MaxStdinBytes())
		rio.Stdin = h.input
	}
	// Registered from the moment it queues (Stop must reach a waiting run)
	// or starts; both callbacks run on Run's goroutine.
	unregister := func() {}
	registered := false
	register := func() {
		if s.reg != nil && !registered {
			registered = true
			unregister = s.reg.Add(NewLive(h.id, who.UserID, h.input, cancel))
		}
	}
	onQueued := rio.OnQueued
	rio.OnQueued = func(pos int, eta time.Duration) {
		register()
		if onQueued != nil {
			onQueued(pos, eta)
		}
	}
	onStart := rio.OnStart
	rio.OnStart = func(o Outcome) {
		register()
		if onStart != nil {
			onStart(o)
		}
		h.mu.Lock()
		h.start, h.didStart = o, true
		h.mu.Unlock()
		close(h.started)
	}
	go func() {
		out, err := s.Run(ctx, who, req, rio)
		if h.input != nil {
			h.input.Close() // unblocks the sandbox's stdin pump
		}
		unregister()
		h.mu.Lock()
		h.out, h.err = out, err
		started := h.didStart
		h.mu.Unlock()
		if !started {
			close(h.started)
		}
		cancel()
		close(h.done)
	}()
	return h
}

// Started is closed once the program has its sandbox, or the run ended
// without one (refused, rejected, failed); StartInfo tells which.
func (h *RunHandle) Started() <-chan struct{} { return h.started }

// StartInfo is the run as it started (ID, StartedAt, Quota, Warnings) and
// whether it did; valid once Started is closed.
func (h *RunHandle) StartInfo() (Outcome, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.start, h.didStart
}

// ID is the run's id, given before it queues.
func (h *RunHandle) ID() string { return h.id }

// Done is closed when the run has ended.
func (h *RunHandle) Done() <-chan struct{} { return h.done }

// Wait waits for the end of the run and returns what Service.Run returns.
func (h *RunHandle) Wait() (Outcome, error) {
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.out, h.err
}

// Cancel stops the run (or its wait for a slot).
func (h *RunHandle) Cancel() { h.cancel() }

// Input feeds an interactive run; see Registry.Input for the errors.
func (h *RunHandle) Input(data []byte, eof bool) error {
	return inputTo(h.input, data, eof)
}
