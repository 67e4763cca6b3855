package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/runblock/runblock/internal/exercise"
)

// event is one SSE frame's JSON. Only the fields of its type are set.
type event struct {
	Type            string   `json:"type"`
	ID              string   `json:"id,omitempty"`
	Timestamp       string   `json:"timestamp,omitempty"`
	Content         string   `json:"content,omitempty"`
	Status          string   `json:"status,omitempty"`
	ExecutionTime   *float64 `json:"execution_time,omitempty"`
	ExitCode        *int     `json:"exit_code,omitempty"`
	Truncated       *bool    `json:"truncated,omitempty"`
	Error           *string  `json:"error,omitempty"`
	CPUTime         *float64 `json:"cpu_time,omitempty"`
	MemoryPeakBytes *int64   `json:"memory_peak_bytes,omitempty"`
	Stage           string   `json:"stage,omitempty"`
	Warnings        []string `json:"warnings,omitempty"`
	Environment     string   `json:"environment,omitempty"`
	Language        string   `json:"language,omitempty"`
	// queued: 1 = next to start; seconds, estimated from the drain rate.
	Position      *int     `json:"position,omitempty"`
	EstimatedWait *float64 `json:"estimated_wait,omitempty"`
	// complete of a run that ended without starting: the error code a JSON
	// answer would have carried (busy, replaced, cancelled, …) and, when
	// busy, when to try again (seconds).
	Code       string `json:"code,omitempty"`
	RetryAfter *int   `json:"retry_after,omitempty"`
	// An image event's figure (see images.go); complete's count of dropped ones.
	MIME          string `json:"mime,omitempty"`
	Data          string `json:"data,omitempty"`
	Alt           string `json:"alt,omitempty"`
	ImagesDropped int    `json:"images_dropped,omitempty"`
	// Submissions (see submit_stream.go): the tests about to run, one
	// test's verdict, and complete's whole graded submission.
	Tests      []exercise.TestResult `json:"tests,omitempty"`
	Test       *exercise.TestResult  `json:"test,omitempty"`
	Submission *submitResponse       `json:"submission,omitempty"`
}

// eventQueue sits between the sandbox's output and a (possibly slow) client.
// Pushing never blocks the program. Adjacent chunks of one stream are merged
// into one byte buffer while they wait (linear, unlike string concatenation),
// so a slow reader gets fewer, larger frames. The content bytes waiting are
// bounded: past the bound the queue overflows, drops what it holds and takes
// nothing more, and the stream is ended (see pump).
type eventQueue struct {
	mu        sync.Mutex
	pending   []queued
	bytes     int // content bytes pending
	max       int // bound on bytes; <= 0: none
	closed    bool
	overflown bool
	notify    chan struct{}
	// onOverflow is called once, when the queue overflows (to cancel the run).
	onOverflow func()
}

// queued is an event whose content, for output and error, is still bytes.
type queued struct {
	ev      event
	content []byte
}

func newEventQueue(onOverflow func()) *eventQueue {
	return &eventQueue{notify: make(chan struct{}, 1), onOverflow: onOverflow}
}

// limit bounds the content bytes that may wait.
func (q *eventQueue) limit(max int) {
	q.mu.Lock()
	q.max = max
	q.mu.Unlock()
}

// push queues an event without content.
func (q *eventQueue) push(ev event) {
	q.mu.Lock()
	if !q.closed && !q.overflown {
		q.pending = append(q.pending, queued{ev: ev})
	}
	q.mu.Unlock()
	q.wake()
}

// pushQueued queues a queued event, replacing one still waiting to be
// sent: a slow client only needs the latest place in line.
func (q *eventQueue) pushQueued(ev event) {
	q.mu.Lock()
	if !q.closed && !q.overflown {
		if n := len(q.pending); n > 0 && q.pending[n-1].ev.Type == ev.Type {
			q.pending[n-1].ev = ev
		} else {
			q.pending = append(q.pending, queued{ev: ev})
		}
	}
	q.mu.Unlock()
	q.wake()
}

// pushOutput queues a chunk of output ("output" or "error"); it copies b.
func (q *eventQueue) pushOutput(typ string, b []byte) {
	q.mu.Lock()
	overflow := false
	switch {
	case q.overflown || q.closed:
	case q.max > 0 && q.bytes+len(b) > q.max:
		q.overflown, overflow = true, true
		q.pending, q.bytes = nil, 0
	default:
		q.bytes += len(b)
		if n := len(q.pending); n > 0 && q.pending[n-1].ev.Type == typ && q.pending[n-1].content != nil {
			q.pending[n-1].content = append(q.pending[n-1].content, b...)
		} else {
			q.pending = append(q.pending, queued{ev: event{Type: typ}, content: append([]byte(nil), b...)})
		}
	}
	q.mu.Unlock()
	if overflow && q.onOverflow != nil {
		q.onOverflow()
	}
	q.wake()
}

func (q *eventQueue) wake() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// close marks the end; the writer sends what is pending, then stops.
func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.wake()
}

// take returns the pending events, whether the queue is closed, and whether
// it overflowed (then nothing more is to be sent).
func (q *eventQueue) take() (evs []event, closed, overflown bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, p := range q.pending {
		if p.content != nil {
			p.ev.Content = string(p.content)
		}
		evs = append(evs, p.ev)
	}
	q.pending, q.bytes = nil, 0
	return evs, q.closed, q.overflown
}

// streamWriter turns a program's byte stream into events of one type,
// holding back an incomplete UTF-8 sequence until its next bytes arrive so
// no character is mangled at a chunk boundary. Content is always valid
// UTF-8: each byte that is not part of a valid sequence is sent as one
// U+FFFD, as the output cap counts it (json.Marshal would otherwise coerce
// it silently, as a six-byte escape).
type streamWriter struct {
	typ  string
	q    *eventQueue
	mu   sync.Mutex
	tail []byte
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := append(w.tail, p...)
	cut := len(b)
	// Find the start of a trailing incomplete sequence (at most 3 bytes back).
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	w.tail = append([]byte(nil), b[cut:]...)
	if cut > 0 {
		w.q.pushOutput(w.typ, validUTF8(b[:cut]))
	}
	return len(p), nil
}

// flush sends whatever is held back (an incomplete sequence at the very
// end), one U+FFFD per byte.
func (w *streamWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.tail) > 0 {
		w.q.pushOutput(w.typ, validUTF8(w.tail))
		w.tail = nil
	}
}

// validUTF8 returns b with every byte that is not part of a valid sequence
// replaced by U+FFFD; valid input is returned as is.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

const (
	keepAlive = 15 * time.Second
	// defaultStreamWriteTimeout bounds each write and flush to a client: one
	// that stops reading is dropped, and its run cancelled, after this long.
	defaultStreamWriteTimeout = 10 * time.Second
)

// startStream answers 200 as an event stream and sends q's events to the
// client until q closes. A client that goes away, stops reading or falls
// too far behind gets gone called: it has no use for the rest of the run,
// nor for its place in line. The returned channel closes when sending ends.
func (s *Server) startStream(w http.ResponseWriter, r *http.Request, q *eventQueue, gone func()) <-chan struct{} {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	done := make(chan struct{})
	go func() {
		defer close(done)
		pump(w, rc, q, r.Context().Done(), s.StreamWriteTimeout)
		gone()
	}()
	return done
}

// pump writes queued events to the client until the queue is closed and
// drained, the queue overflows, or the client goes away or stops reading.
// Each batch is flushed at once, under a fresh write deadline: the deadline
// is what drops a client that never reads, whose writes would otherwise
// block forever while the program's output waits in memory. The deadline is
// set before every write (keep-alives too), never cleared, so it also
// bounds the server's own last write of the response.
func pump(w http.ResponseWriter, rc *http.ResponseController, q *eventQueue, gone <-chan struct{}, timeout time.Duration) {
	ticker := time.NewTicker(keepAlive)
	defer ticker.Stop()
	send := func(write func() error) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(timeout))
		return write() == nil && rc.Flush() == nil
	}
	for {
		select {
		case <-q.notify:
		case <-ticker.C:
			// A comment line keeps proxies from closing a silent stream.
			if !send(func() error { _, err := io.WriteString(w, ": keep-alive\n\n"); return err }) {
				return
			}
			continue
		case <-gone:
			return
		}
		evs, closed, overflown := q.take()
		if overflown {
			return
		}
		if len(evs) > 0 && !send(func() error { return writeEvents(w, evs) }) {
			return
		}
		if closed {
			// take saw closed and pending together: nothing is left.
			return
		}
	}
}

func writeEvents(w io.Writer, evs []event) error {
	for _, ev := range evs {
		if err := writeEvent(w, ev); err != nil {
			return err
		}
	}
	return nil
}

func writeEvent(w io.Writer, ev event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, len(b)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, b...)
	buf = append(buf, '\n', '\n')
	_, err = w.Write(buf)
	return err
}
