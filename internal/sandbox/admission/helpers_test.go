package admission

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// hang guards a test against a deadlock; it is not a timing assertion.
const hang = 10 * time.Second

type outcome struct {
	release func()
	err     error
}

// pending is one Admit running in its own goroutine.
type pending struct {
	name   string
	pos    chan int
	eta    chan time.Duration
	done   chan outcome
	cancel context.CancelFunc
}

func submit(q *Queue, name string, tk Ticket) *pending {
	ctx, cancel := context.WithCancel(context.Background())
	p := &pending{name: name, pos: make(chan int, 1024), eta: make(chan time.Duration, 1024), done: make(chan outcome, 1), cancel: cancel}
	go func() {
		rel, err := q.Admit(ctx, tk, func(pos int, eta time.Duration) { p.pos <- pos; p.eta <- eta })
		p.done <- outcome{rel, err}
	}()
	return p
}

// queued waits for p's first position report and returns it.
func (p *pending) queued(t *testing.T) int {
	t.Helper()
	select {
	case pos := <-p.pos:
		return pos
	case o := <-p.done:
		t.Fatalf("%s: expected to wait, got release=%v err=%v", p.name, o.release != nil, o.err)
	case <-time.After(hang):
		t.Fatalf("%s: never queued", p.name)
	}
	return 0
}

// result waits for p's Admit to return.
func (p *pending) result(t *testing.T) outcome {
	t.Helper()
	select {
	case o := <-p.done:
		return o
	case <-time.After(hang):
		t.Fatalf("%s: Admit never returned", p.name)
	}
	return outcome{}
}

func (p *pending) granted(t *testing.T) func() {
	t.Helper()
	o := p.result(t)
	if o.err != nil {
		t.Fatalf("%s: want a slot, got %v", p.name, o.err)
	}
	return o.release
}

// waitFor polls cond (state another goroutine is about to reach).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustNew(t *testing.T, cfg Config) *Queue {
	t.Helper()
	q, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func hold(t *testing.T, q *Queue, tk Ticket) func() {
	t.Helper()
	rel, err := q.Admit(context.Background(), tk, nil)
	if err != nil {
		t.Fatalf("hold %v: %v", tk, err)
	}
	return rel
}

func user(i int) string { return fmt.Sprintf("u%02d", i) }

// releaseAll releases each ticket as it is granted, in whatever order.
func releaseAll(t *testing.T, ps []*pending) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for len(ps) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d tickets never granted", len(ps))
		}
		rest := ps[:0]
		for _, p := range ps {
			select {
			case o := <-p.done:
				if o.err != nil {
					t.Fatalf("%s: %v", p.name, o.err)
				}
				o.release()
			default:
				rest = append(rest, p)
			}
		}
		ps = rest
		time.Sleep(time.Millisecond)
	}
}
