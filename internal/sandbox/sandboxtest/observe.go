package sandboxtest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// Marker is what a program under observation prints when the state the test
// wants to look at exists; it then blocks reading stdin until released.
const Marker = "RUNBLOCK-MARK"

// pauseAtMarker is Python that prints Marker and waits for the test.
const pauseAtMarker = "import sys\nprint('" + Marker + "', flush=True)\nsys.stdin.read()\n"

// observed runs code and calls at once, from the output reader, when the
// program prints Marker; the program is held (blocked on stdin) until at
// returns. A program that never prints the marker fails the test: whatever
// the caller wanted to check never existed.
func (s *suite) observed(t *testing.T, ctx context.Context, lang sandbox.Language, code string, lim sandbox.Limits, at func()) run {
	t.Helper()
	inR, inW := io.Pipe()
	out := &markerWriter{at: func() { at(); inW.Close() }}
	var errb SyncBuffer
	req := sandbox.Request{Language: lang, Files: []sandbox.File{{Content: []byte(code)}}, Stdin: inR, Stdout: out, Stderr: &errb, Limits: lim}
	res, err := s.rt.Run(ctx, req)
	inW.Close()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	r := run{res, out.String(), errb.String()}
	if !out.seen() {
		t.Fatalf("the program never reached its marker (status %s)\nstdout: %.500s\nstderr: %.500s", res.Status, r.stdout, r.stderr)
	}
	return r
}

// markerWriter collects output and runs at once when Marker appears.
type markerWriter struct {
	mu   sync.Mutex
	b    bytes.Buffer
	at   func()
	done bool
}

func (m *markerWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	m.b.Write(p)
	fire := !m.done && strings.Contains(m.b.String(), Marker)
	m.done = m.done || fire
	m.mu.Unlock()
	if fire {
		m.at()
	}
	return len(p), nil
}

func (m *markerWriter) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.b.String()
}

func (m *markerWriter) seen() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.done
}

// WaitProcess fails unless a host process with token in its argv appears
// (within a few seconds): a check that it is gone later means something
// only after it was seen alive.
func WaitProcess(t *testing.T, token string) []string {
	t.Helper()
	pids := waitProcess(token)
	if len(pids) == 0 {
		t.Fatalf("no process with %q ever ran: the check after it would prove nothing", token)
	}
	return pids
}

// waitProcess is WaitProcess for goroutines other than the test's: it
// returns nil when the process never appeared.
func waitProcess(token string) []string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if pids := FindProcesses(token); len(pids) > 0 {
			return pids
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertSeen fails the test when a process that should have been observed
// alive was not.
func assertSeen(t *testing.T, token string, pids []string) {
	t.Helper()
	if len(pids) == 0 {
		t.Fatalf("no process with %q was seen running: the check that it is gone would prove nothing", token)
	}
}
