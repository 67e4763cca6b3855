package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"
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
}

// eventQueue sits between the sandbox's output and a (possibly slow) client.
// Pushing never blocks the program; memory stays bounded because the output
// cap bounds what can be pushed. Adjacent chunks of one stream are merged
// while they wait, so a slow reader gets fewer, larger frames.
type eventQueue struct {
	mu      sync.Mutex
	pending []event
	closed  bool
	notify  chan struct{}
}

func newEventQueue() *eventQueue { return &eventQueue{notify: make(chan struct{}, 1)} }

func (q *eventQueue) push(ev event) {
	q.mu.Lock()
	if n := len(q.pending); n > 0 && (ev.Type == "output" || ev.Type == "error") && q.pending[n-1].Type == ev.Type {
		q.pending[n-1].Content += ev.Content
	} else {
		q.pending = append(q.pending, ev)
	}
	q.mu.Unlock()
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
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *eventQueue) take() ([]event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	evs := q.pending
	q.pending = nil
	return evs, q.closed
}

// streamWriter turns a program's byte stream into events of one type,
// holding back an incomplete UTF-8 sequence until its next bytes arrive so
// no character is mangled at a chunk boundary.
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
		w.q.push(event{Type: w.typ, Content: string(b[:cut])})
	}
	return len(p), nil
}

// flush sends whatever is held back (an incomplete sequence at the very end).
func (w *streamWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.tail) > 0 {
		w.q.push(event{Type: w.typ, Content: string(w.tail)})
		w.tail = nil
	}
}

const keepAlive = 15 * time.Second

// pump writes queued events to the client until the queue is closed and
// drained, or the client goes away. Each batch is flushed at once.
func pump(w http.ResponseWriter, rc *http.ResponseController, q *eventQueue, gone <-chan struct{}) {
	ticker := time.NewTicker(keepAlive)
	defer ticker.Stop()
	for {
		select {
		case <-q.notify:
		case <-ticker.C:
			// A comment line keeps proxies from closing a silent stream.
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			_ = rc.Flush()
			continue
		case <-gone:
			return
		}
		evs, closed := q.take()
		for _, ev := range evs {
			if err := writeEvent(w, ev); err != nil {
				return
			}
		}
		if len(evs) > 0 {
			if rc.Flush() != nil {
				return
			}
		}
		if closed {
			if evs, _ := q.take(); len(evs) == 0 {
				return
			}
			// More arrived between take and the check: loop once more.
			select {
			case q.notify <- struct{}{}:
			default:
			}
		}
	}
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
