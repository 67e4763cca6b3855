package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/sandbox"
)

// floodRuntime stands for a runtime whose output cap does not hold: it
// writes to stdout until its run is cancelled, then reports the cancel.
type floodRuntime struct {
	chunk     []byte
	pause     time.Duration // between chunks; 0: as fast as it can
	cancelled chan struct{}
	written   atomic.Int64
}

func newFloodRuntime(chunk []byte, pause time.Duration) *floodRuntime {
	return &floodRuntime{chunk: chunk, pause: pause, cancelled: make(chan struct{})}
}

func (f *floodRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	for ctx.Err() == nil {
		req.Stdout.Write(f.chunk)
		f.written.Add(int64(len(f.chunk)))
		if f.pause > 0 {
			time.Sleep(f.pause)
		}
	}
	close(f.cancelled)
	return sandbox.Result{Status: sandbox.StatusCancelled, Stage: sandbox.StageRun, ExitCode: -1}, nil
}

// bytesRuntime writes fixed bytes to stdout and stderr.
type bytesRuntime struct{ stdout, stderr []byte }

func (b bytesRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	req.Stdout.Write(b.stdout)
	req.Stderr.Write(b.stderr)
	return sandbox.Result{Status: sandbox.StatusSuccess, Stage: sandbox.StageRun, WallTime: time.Millisecond}, nil
}

func newServerWith(t *testing.T, rt sandbox.Runtime, limits sandbox.Limits, writeTimeout time.Duration) *Server {
	t.Helper()
	svc, err := execute.New(rt, map[string]sandbox.Language{
		"python": {Name: "python", FileName: "main.py", Run: []string{"python3", "main.py"}},
	}, execute.Config{Limits: limits, MaxTimeout: 30 * time.Second, MaxCodeBytes: 1 << 10, MaxStdinBytes: 1 << 10, MaxConcurrent: 2, MaxQueue: 2, QueueWait: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Deps{Exec: svc, StreamWriteTimeout: writeTimeout})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// smallBuffers keeps the server's socket send buffers small, so a client
// that never reads blocks the server's writes after a few KB, not MBs.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// openSilentStream starts a streamed run through a real connection that
// never reads a byte of the answer. handled is closed when the handler
// returns; closing the connection is left to the caller.
func openSilentStream(t *testing.T, s *Server) (conn net.Conn, handled <-chan struct{}) {
	t.Helper()
	done := make(chan struct{})
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		s.ServeHTTP(w, r)
	}))
	ts.Listener = smallBuffers{ts.Listener}
	ts.Start()
	t.Cleanup(ts.Close)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	body := `{"code":"x"}`
	fmt.Fprintf(conn, "POST /api/v1/code/execute/stream HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	return conn, done
}

// waitFor guards against a hang; it is not a timing assertion.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s never happened", what)
	}
}

func TestSSEClientThatNeverReadsIsDroppedByWriteDeadline(t *testing.T) {
	rt := newFloodRuntime(bytes.Repeat([]byte{0x80}, 32<<10), time.Millisecond)
	// A queue bound far above what the test writes: only the write deadline
	// can end this stream.
	s := newServerWith(t, rt, sandbox.Limits{OutputChars: 1 << 27}, 50*time.Millisecond)
	_, handled := openSilentStream(t, s)
	waitFor(t, rt.cancelled, "the run's cancel")
	waitFor(t, handled, "the stream's end")
}

func TestSSEQueueBoundCancelsTheRun(t *testing.T) {
	// Chunks well under the bound (44 KB for 10,000 characters): it is the
	// client not reading that makes them pile up.
	rt := newFloodRuntime(bytes.Repeat([]byte("x"), 1<<10), 0)
	// A write deadline longer than the test: only the queue bound can cancel.
	s := newServerWith(t, rt, sandbox.Limits{OutputChars: 10000}, time.Hour)
	conn, handled := openSilentStream(t, s)
	waitFor(t, rt.cancelled, "the run's cancel")
	if n := rt.written.Load(); n < int64(outputBound(sandbox.Limits{OutputChars: 10000})) {
		t.Fatalf("cancelled after %d bytes, under the bound", n)
	}
	conn.Close() // the pump is blocked writing to this connection
	waitFor(t, handled, "the stream's end")
}

func TestEventQueueBoundsQueuedBytes(t *testing.T) {
	overflows := 0
	q := newEventQueue(func() { overflows++ })
	q.limit(100)
	q.push(event{Type: "start"})
	chunk := bytes.Repeat([]byte("x"), 30)
	for range 3 {
		q.pushOutput("output", chunk)
	}
	q.pushOutput("error", chunk[:10])
	evs, closed, overflown := q.take()
	if len(evs) != 3 || evs[1].Content != strings.Repeat("x", 90) || evs[2].Content != strings.Repeat("x", 10) || closed || overflown {
		t.Fatalf("merged %+v closed=%v overflown=%v", evs, closed, overflown)
	}
	// take emptied the queue, so the bound applies afresh.
	for range 3 {
		q.pushOutput("output", chunk)
	}
	if q.bytes != 90 || overflows != 0 {
		t.Fatalf("%d bytes queued, %d overflows", q.bytes, overflows)
	}
	q.pushOutput("output", chunk) // 120 > 100
	q.pushOutput("output", chunk)
	q.push(event{Type: "complete"})
	if q.bytes != 0 || len(q.pending) != 0 || overflows != 1 {
		t.Fatalf("after overflow: %d bytes, %d events, %d overflow calls", q.bytes, len(q.pending), overflows)
	}
	if evs, _, overflown := q.take(); len(evs) != 0 || !overflown {
		t.Fatalf("after overflow take gave %v, overflown=%v", evs, overflown)
	}
}

func TestStreamWriterSendsValidUTF8(t *testing.T) {
	q := newEventQueue(nil)
	w := &streamWriter{typ: "output", q: q}
	w.Write([]byte("a\x80b\xE2\x82")) // an invalid byte, then a held incomplete sequence
	w.Write([]byte("\xAC"))           // which completes
	w.Write([]byte("\xF0\x9F"))       // an incomplete sequence at the very end
	w.flush()
	evs, _, _ := q.take()
	if len(evs) != 1 || evs[0].Content != "a\uFFFDb€\uFFFD\uFFFD" {
		t.Fatalf("events %+v", evs)
	}
	var buf bytes.Buffer
	writeEvent(&buf, evs[0])
	if strings.Contains(buf.String(), `\ufffd`) || !utf8.Valid(buf.Bytes()) {
		t.Fatalf("frame %q: json should see valid text, not coerce bytes", buf.String())
	}
}

func TestExecuteAnswerIsBoundedAndValidUTF8(t *testing.T) {
	t.Run("bounded", func(t *testing.T) {
		// A runtime whose cap does not hold: the handler still bounds what
		// it collects, by the run's own limit, and says it cut.
		s := newServerWith(t, bytesRuntime{stdout: bytes.Repeat([]byte("y"), 1<<20), stderr: []byte("late")}, sandbox.Limits{OutputChars: 100}, 0)
		m := postExecute(t, s)
		if m["truncated"] != true || len(m["output"].(string)) != outputBound(sandbox.Limits{OutputChars: 100}) || m["error"] != nil {
			t.Fatalf("truncated=%v, %d bytes of output, error %v", m["truncated"], len(m["output"].(string)), m["error"])
		}
	})
	t.Run("invalid bytes", func(t *testing.T) {
		s := newServerWith(t, bytesRuntime{stdout: []byte("a\x80b\xE2\x82"), stderr: []byte("\xFF")}, sandbox.Limits{}, 0)
		m := postExecute(t, s)
		if m["output"] != "a\uFFFDb\uFFFD\uFFFD" || m["error"] != "\uFFFD" || m["truncated"] != false {
			t.Fatalf("%v", m)
		}
	})
}

func postExecute(t *testing.T, s *Server) map[string]any {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/code/execute", strings.NewReader(`{"code":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var m map[string]any
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &m) != nil {
		t.Fatalf("%d %.300s", rec.Code, rec.Body)
	}
	return m
}
