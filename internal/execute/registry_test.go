package execute

import (
	"context"
	"io"
	"testing"

	"github.com/runblock/runblock/internal/apperr"
)

func TestRegistryOwnershipAndLifecycle(t *testing.T) {
	r := NewRegistry()
	in := NewInputQueue(8)
	ctx, cancel := context.WithCancel(context.Background())
	remove := r.Add(NewLive("run1", "alice", in, cancel))
	if err := r.Input("run1", "bob", []byte("x"), false); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("other user's run: %v", err)
	}
	if err := r.Cancel("run1", "bob"); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("other user's cancel: %v", err)
	}
	if err := r.Input("nope", "alice", []byte("x"), false); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("unknown id: %v", err)
	}
	if err := r.Input("run1", "alice", []byte("hello\n"), false); err != nil {
		t.Fatal(err)
	}
	if err := r.Input("run1", "alice", []byte("too much"), false); apperr.KindOf(err) != apperr.TooLarge {
		t.Fatalf("pending input over the bound: %v", err)
	}
	if err := r.Input("run1", "alice", nil, true); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(in)
	if string(got) != "hello\n" {
		t.Fatalf("program read %q", got)
	}
	if err := r.Cancel("run1", "alice"); err != nil || ctx.Err() == nil {
		t.Fatalf("cancel: %v ctx=%v", err, ctx.Err())
	}
	remove()
	if err := r.Input("run1", "alice", []byte("late"), false); apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("input after the end: %v", err)
	}
	if err := r.Input("run1", "bob", []byte("late"), false); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("finished run of another user must stay hidden: %v", err)
	}
}

func TestInputQueueBlocksUntilDataOrEOF(t *testing.T) {
	q := NewInputQueue(1 << 10)
	got := make(chan string)
	go func() {
		b := make([]byte, 10)
		n, _ := q.Read(b)
		got <- string(b[:n])
	}()
	q.Write([]byte("ab"))
	if s := <-got; s != "ab" {
		t.Fatalf("read %q", s)
	}
	q.Close()
	if _, err := q.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after close: %v", err)
	}
	if _, err := q.Write([]byte("x")); err != ErrInputClosed {
		t.Fatalf("write after close: %v", err)
	}
}
