package sandbox

import (
	"io"
	"sync"
)

// floodBytes is how much output past the cap we keep draining before
// declaring the program a flood and asking the runtime to stop it. Draining
// a little lets a program that overshoots the cap finish normally.
const floodBytes = 1 << 20

// OutputCap limits the characters that reach the caller across stdout and
// stderr together. Past the limit it keeps accepting (and discarding) bytes so
// the program never blocks on a full pipe, and closes Flooded once a program
// keeps writing far past the cap.
type OutputCap struct {
	mu        sync.Mutex
	limit     int
	chars     int
	truncated bool
	discarded int64
	flooded   chan struct{}
}

// NewOutputCap returns a cap of limit characters; limit <= 0 means no cap.
func NewOutputCap(limit int) *OutputCap {
	return &OutputCap{limit: limit, flooded: make(chan struct{})}
}

// Writer returns a writer for one stream; w may be nil (discard).
func (c *OutputCap) Writer(w io.Writer) io.Writer { return &capWriter{c: c, w: w} }

// Truncated reports whether any output was cut.
func (c *OutputCap) Truncated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.truncated
}

// Flooded is closed when the program keeps writing long after the cap.
func (c *OutputCap) Flooded() <-chan struct{} { return c.flooded }

type capWriter struct {
	c *OutputCap
	w io.Writer
}

// Write holds the cap's lock while forwarding so stdout and stderr chunks
// reach the caller in the order they were read.
func (cw *capWriter) Write(p []byte) (int, error) {
	c := cw.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.truncated {
		c.discarded += int64(len(p))
		if c.discarded > floodBytes && c.discarded-int64(len(p)) <= floodBytes {
			close(c.flooded)
		}
		return len(p), nil
	}
	keep := len(p)
	if c.limit > 0 {
		keep = c.cut(p)
	}
	if keep > 0 && cw.w != nil {
		// A slow or failed consumer must not stall the program's pipes.
		_, _ = cw.w.Write(p[:keep])
	}
	if keep < len(p) {
		c.truncated = true
		c.discarded = int64(len(p) - keep)
	}
	return len(p), nil
}

// cut counts characters as UTF-8 sequence starts, which stays exact when a
// multi-byte character is split between two reads, and returns how many
// bytes of p fit under the limit.
func (c *OutputCap) cut(p []byte) int {
	for i, b := range p {
		if b&0xC0 == 0x80 { // continuation byte: belongs to the previous character
			continue
		}
		if c.chars == c.limit {
			return i
		}
		c.chars++
	}
	return len(p)
}
