package execute

import (
	"context"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/apperr"
)

// Live is a run in progress that its owner can feed input to or stop.
type Live struct {
	ID     string
	Owner  string
	input  *InputQueue // nil when the request carried its own stdin
	cancel context.CancelFunc
}

// Registry tracks live runs on this replica.
type Registry struct {
	// Mirror, when set, publishes which runs this replica holds so other
	// replicas can route input and Stop here.
	Mirror Mirror
	mu     sync.Mutex
	runs   map[string]*Live
	// finished remembers recent runs (id → owner) so late input gets "409
	// finished" rather than "404"; a ring bounds it.
	finished map[string]string
	ring     []string
	next     int
}

const finishedMemory = 4096

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{runs: map[string]*Live{}, finished: map[string]string{}, ring: make([]string, finishedMemory)}
}

// Mirror is told about runs starting and ending on this replica.
type Mirror interface {
	Register(ctx context.Context, id, owner string) error
	Unregister(ctx context.Context, id, owner string) error
}

// Add registers a live run; the returned func removes it.
func (r *Registry) Add(l *Live) func() {
	r.mu.Lock()
	r.runs[l.ID] = l
	r.mu.Unlock()
	r.mirror(l, Mirror.Register)
	return func() {
		r.mirror(l, Mirror.Unregister)
		r.mu.Lock()
		delete(r.runs, l.ID)
		if old := r.ring[r.next]; old != "" {
			delete(r.finished, old)
		}
		r.ring[r.next] = l.ID
		r.next = (r.next + 1) % len(r.ring)
		r.finished[l.ID] = l.Owner
		r.mu.Unlock()
	}
}

// NewLive makes a live run entry.
func NewLive(id, owner string, input *InputQueue, cancel context.CancelFunc) *Live {
	return &Live{ID: id, Owner: owner, input: input, cancel: cancel}
}

// get finds a run of owner. Someone else's run is "not found": its
// existence is not revealed.
func (r *Registry) get(id, owner string) (*Live, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.runs[id]
	if ok && l.Owner == owner {
		return l, nil
	}
	if !ok && r.finished[id] == owner && owner != "" {
		return nil, apperr.New(apperr.Conflict, "execution_finished", "execution %q has already finished", id)
	}
	return nil, notFound(id)
}

// Has reports whether this replica holds run id (any owner).
func (r *Registry) Has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.runs[id]
	return ok
}

// Count is the number of live runs.
func (r *Registry) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.runs)
}

// Input sends data (and EOF when eof is set) to a live run of owner.
func (r *Registry) Input(id, owner string, data []byte, eof bool) error {
	l, err := r.get(id, owner)
	if err != nil {
		return err
	}
	return inputTo(l.input, data, eof)
}

func inputTo(in *InputQueue, data []byte, eof bool) error {
	if in == nil {
		return apperr.New(apperr.Conflict, "stdin_not_interactive", "this run was started with a fixed stdin; it takes no more input")
	}
	if len(data) > 0 {
		if _, err := in.Write(data); err != nil {
			if err == ErrInputFull {
				return apperr.New(apperr.TooLarge, "stdin_too_large", "the program has not read the input already sent; too much is pending")
			}
			return apperr.New(apperr.Conflict, "stdin_closed", "stdin of this run is closed")
		}
	}
	if eof {
		in.Close()
	}
	return nil
}

// Cancel stops a live run of owner.
func (r *Registry) Cancel(id, owner string) error {
	l, err := r.get(id, owner)
	if err != nil {
		return err
	}
	l.cancel()
	return nil
}

func notFound(id string) error {
	return apperr.New(apperr.NotFound, "execution_not_found", "no running execution %q", id)
}

func (r *Registry) mirror(l *Live, f func(Mirror, context.Context, string, string) error) {
	if r.Mirror == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// A run still works locally without the mirror; only remote input fails.
	_ = f(r.Mirror, ctx, l.ID, l.Owner)
}
