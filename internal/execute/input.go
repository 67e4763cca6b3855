package execute

import (
	"errors"
	"io"
	"sync"
)

// ErrInputClosed is returned when input arrives after EOF or after the run ended.
var ErrInputClosed = errors.New("execute: input is closed")

// ErrInputFull is returned when the program isn't reading and too much input
// is pending.
var ErrInputFull = errors.New("execute: too much unread input")

// InputQueue is a program's interactive stdin: writers never block (input
// arrives from HTTP requests), the sandbox's reader blocks until input, EOF,
// or the end of the run.
type InputQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	buf     []byte
	closed  bool
	max     int
	written int64
}

// NewInputQueue bounds pending (unread) input to max bytes.
func NewInputQueue(max int) *InputQueue {
	q := &InputQueue{max: max}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Write queues input for the program.
func (q *InputQueue) Write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, ErrInputClosed
	}
	if len(q.buf)+len(p) > q.max {
		return 0, ErrInputFull
	}
	q.buf = append(q.buf, p...)
	q.written += int64(len(p))
	q.cond.Broadcast()
	return len(p), nil
}

// Close is EOF: the program reads what is queued, then end of input.
func (q *InputQueue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
	return nil
}

// Read implements io.Reader for the sandbox's stdin pump.
func (q *InputQueue) Read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.buf) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, q.buf)
	q.buf = q.buf[n:]
	return n, nil
}
