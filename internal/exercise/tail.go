package exercise

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// tail passes stderr on and keeps its end, where the policy guard writes
// why it stopped the program.
type tail struct {
	w  io.Writer
	mu sync.Mutex
	b  []byte
}

const tailMax = 4096

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.b = append(t.b, p...)
	if len(t.b) > 2*tailMax {
		t.b = append(t.b[:0], t.b[len(t.b)-tailMax:]...)
	}
	t.mu.Unlock()
	if t.w == nil {
		return len(p), nil
	}
	return t.w.Write(p)
}

func (t *tail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := bytes.TrimRight(t.b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
