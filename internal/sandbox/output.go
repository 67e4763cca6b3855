package sandbox

import (
	"io"
	"sync"
	"unicode/utf8"
)

// floodBytes is how much output past the cap we keep draining before
// declaring the program a flood and asking the runtime to stop it. Draining
// a little lets a program that overshoots the cap finish normally.
const floodBytes = 1 << 20

// replacement is what every byte that is not part of a valid UTF-8 sequence
// becomes, one per byte, as encoding/json and Go's string ranging do.
var replacement = []byte(string(utf8.RuneError))

// OutputCap limits the characters that reach the caller across stdout and
// stderr together. What it passes on is valid UTF-8 made of whole
// characters: each byte that does not belong to a valid sequence is passed
// on (and counted) as one U+FFFD, so no byte sequence escapes the count, and
// the bytes passed on stay within utf8.UTFMax per character. Past the limit
// it keeps accepting (and discarding) bytes so the program never blocks on a
// full pipe, and closes Flooded once a program keeps writing far past the
// cap.
type OutputCap struct {
	mu        sync.Mutex
	limit     int   // characters; <= 0: no cap
	maxBytes  int64 // bytes passed on, a bound that holds whatever the input
	chars     int
	bytes     int64
	truncated bool
	discarded int64
	flooded   chan struct{}
}

// NewOutputCap returns a cap of limit characters; limit <= 0 means no cap.
func NewOutputCap(limit int) *OutputCap {
	return &OutputCap{limit: limit, maxBytes: int64(limit) * utf8.UTFMax, flooded: make(chan struct{})}
}

// Writer returns a writer for one stream; w may be nil (discard). A
// character split between two writes is passed on whole once its last byte
// arrives. The source's end is known when the writer is fed by io.Copy (it
// implements io.ReaderFrom) or when Flush is called: an incomplete sequence
// held back then becomes one U+FFFD per byte.
func (c *OutputCap) Writer(w io.Writer) *CapWriter { return &CapWriter{c: c, w: w} }

// Truncated reports whether any output was cut.
func (c *OutputCap) Truncated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.truncated
}

// Flooded is closed when the program keeps writing long after the cap.
func (c *OutputCap) Flooded() <-chan struct{} { return c.flooded }

// CapWriter is one stream (stdout or stderr) of an OutputCap.
type CapWriter struct {
	c       *OutputCap
	w       io.Writer
	held    []byte // start of a character whose last bytes have not arrived
	scratch []byte // held + the next write, reused
	fixed   []byte // a copy with replacement characters, reused
}

// Write holds the cap's lock while forwarding so stdout and stderr chunks
// reach the caller in the order they were read.
func (cw *CapWriter) Write(p []byte) (int, error) {
	c := cw.c
	c.mu.Lock()
	defer c.mu.Unlock()
	b := p
	if len(cw.held) > 0 {
		cw.scratch = append(append(cw.scratch[:0], cw.held...), p...)
		b = cw.scratch
		cw.held = cw.held[:0]
	}
	cw.pass(b, false)
	return len(p), nil
}

// Flush passes on a held-back incomplete sequence, one U+FFFD per byte: the
// source ended, so its missing bytes will never come. The writer stays
// usable (a compile step and the program share it).
func (cw *CapWriter) Flush() {
	c := cw.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(cw.held) > 0 {
		b := append(cw.scratch[:0], cw.held...)
		cw.held = cw.held[:0]
		cw.pass(b, true)
	}
}

// ReadFrom copies r until it ends, then flushes. io.Copy uses it, so a
// runtime that drains pipes with io.Copy needs no separate end-of-stream call.
func (cw *CapWriter) ReadFrom(r io.Reader) (int64, error) {
	defer cw.Flush()
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			_, _ = cw.Write(buf[:k])
			n += int64(k)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// pass counts and forwards b under the cap's lock. Unless atEnd, an
// incomplete sequence at the end of b is held back for the next write, so a
// character split between two reads is counted once and passed on whole.
func (cw *CapWriter) pass(b []byte, atEnd bool) {
	c := cw.c
	if c.truncated {
		c.discard(len(b))
		return
	}
	fixed := cw.fixed[:0]
	copied := 0 // b[:copied] is already in fixed
	invalid := false
	i := 0
	for i < len(b) {
		if c.limit > 0 && c.chars == c.limit {
			// Whatever bytes remain make at least one more character.
			c.truncated = true
			break
		}
		size, enc := 1, 1
		if b[i] >= utf8.RuneSelf {
			if !atEnd && !utf8.FullRune(b[i:]) {
				cw.held = append(cw.held[:0], b[i:]...)
				break
			}
			var r rune
			r, size = utf8.DecodeRune(b[i:])
			enc = size
			if r == utf8.RuneError && size == 1 {
				enc = len(replacement)
			}
		}
		if c.limit > 0 && c.bytes+int64(enc) > c.maxBytes {
			c.truncated = true
			break
		}
		if enc != size {
			fixed = append(append(fixed, b[copied:i]...), replacement...)
			copied = i + size
			invalid = true
		}
		c.chars++
		c.bytes += int64(enc)
		i += size
	}
	out := b[:i]
	if invalid {
		fixed = append(fixed, b[copied:i]...)
		out = fixed
		cw.fixed = fixed
	}
	if len(out) > 0 && cw.w != nil {
		// A slow or failed consumer must not stall the program's pipes.
		_, _ = cw.w.Write(out)
	}
	if c.truncated {
		cw.held = cw.held[:0]
		c.discard(len(b) - i)
	}
}

// discard counts bytes dropped past the cap and signals a flood once.
func (c *OutputCap) discard(n int) {
	before := c.discarded
	c.discarded += int64(n)
	if c.discarded > floodBytes && before <= floodBytes {
		close(c.flooded)
	}
}
