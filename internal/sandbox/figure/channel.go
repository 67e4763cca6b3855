package figure

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// Channel is one run's figure pipe, read on the server's side.
//
// Ordering: the program writes a whole frame before any stdout byte that
// follows the figure, and the frame names the stdout bytes before it. So
// before passing on a chunk of stdout, the stdout writer reads whatever the
// figure pipe holds at that moment, under the same lock as the background
// reader's reads: every figure that precedes the chunk's bytes is then
// known, and the chunk is split at its offset. No timing is involved.
type Channel struct {
	r, w *os.File
	rc   syscall.RawConn
	sink sandbox.ImageSink
	// budget is the PNG bytes the run may still show.
	budget int64
	total  int64

	mu      sync.Mutex
	buf     []byte
	pending []frame // parsed, waiting for stdout to reach them
	stdout  int64   // stdout bytes passed on
	shown   int
	dropped int
	broken  bool // a malformed frame: the rest of the pipe is discarded
	done    chan struct{}
}

// Open makes the pipe. budget <= 0 means sandbox.DefaultImageBytes.
func Open(sink sandbox.ImageSink, budget int64) (*Channel, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("figure: pipe: %w", err)
	}
	rc, err := r.SyscallConn()
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("figure: pipe: %w", err)
	}
	if budget <= 0 {
		budget = sandbox.DefaultImageBytes
	}
	return &Channel{r: r, w: w, rc: rc, sink: sink, budget: budget, total: budget, done: make(chan struct{})}, nil
}

// ChildEnd is the write end to pass to the program.
func (c *Channel) ChildEnd() *os.File { return c.w }

// The methods below accept a nil Channel (a run without figures) so the
// runtime needs no branches around them.

// Start closes the server's copy of the write end (the program has its own)
// and reads frames until the program's copies are gone.
func (c *Channel) Start() {
	if c == nil {
		return
	}
	c.w.Close()
	go func() {
		defer close(c.done)
		_ = c.rc.Read(func(fd uintptr) bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			eof := c.readLocked(int(fd))
			c.emitLocked()
			return eof
		})
	}()
}

// SetSink gives the channel its run's sink. A warm sandbox's channel is
// opened (and its program started) before the run exists; frames before
// this have no sink and are not shown, which costs nothing since the
// learner's code has not run yet.
func (c *Channel) SetSink(sink sandbox.ImageSink) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.sink = sink
	c.mu.Unlock()
}

// Close releases both ends; for a run that never started.
func (c *Channel) Close() {
	if c == nil {
		return
	}
	c.w.Close()
	c.r.Close()
}

// Stdout wraps the writer the program's stdout goes to.
func (c *Channel) Stdout(w io.Writer) io.Writer {
	if c == nil {
		return w
	}
	return &stdoutWriter{c: c, w: w}
}

// Finish waits for the pipe's end (closing it after grace, should a process
// outside the sandbox's group still hold it), shows what is left, and
// returns how many images were dropped. A note on stderr says why.
func (c *Channel) Finish(stderr io.Writer, grace time.Duration) int {
	if c == nil {
		return 0
	}
	select {
	case <-c.done:
	case <-time.After(grace):
		c.r.Close()
		<-c.done
	}
	c.r.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	// Figures shown at exit come after all of stdout.
	c.stdout = 1 << 62
	c.emitLocked()
	if c.broken && stderr != nil {
		_, _ = io.WriteString(stderr, "\n[runblock] the figure channel carried something that is not a figure; the rest was dropped\n")
	}
	if c.dropped > 0 && stderr != nil {
		_, _ = fmt.Fprintf(stderr, "\n[runblock] %d image(s) dropped: a run shows at most %d images and %d KB of them\n", c.dropped, MaxImages, c.total/1024)
	}
	return c.dropped
}

// readLocked reads what the pipe holds now; it reports EOF or an error.
func (c *Channel) readLocked(fd int) bool {
	var tmp [64 << 10]byte
	for {
		n, err := syscall.Read(fd, tmp[:])
		if n > 0 {
			if !c.broken {
				c.buf = append(c.buf, tmp[:n]...)
				c.parseLocked()
			}
			continue
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		// EAGAIN: wait for more; anything else, or 0 bytes: the end.
		return !errors.Is(err, syscall.EAGAIN)
	}
}

func (c *Channel) parseLocked() {
	for {
		f, n, err := parseFrame(c.buf)
		if err != nil {
			c.broken, c.buf = true, nil
			return
		}
		if n == 0 {
			return
		}
		c.buf = c.buf[n:]
		if len(c.buf) == 0 {
			c.buf = nil
		}
		c.pending = append(c.pending, f)
	}
}

// emitLocked shows (or drops) every pending frame stdout has reached.
func (c *Channel) emitLocked() {
	for len(c.pending) > 0 && c.pending[0].after <= c.stdout {
		f := c.pending[0]
		c.pending = c.pending[1:]
		if checkPNG(f.png) != nil {
			c.broken, c.pending, c.buf = true, nil, nil
			return
		}
		if c.shown >= MaxImages || int64(len(f.png)) > c.budget {
			c.dropped++
			continue
		}
		c.shown++
		c.budget -= int64(len(f.png))
		if c.sink != nil {
			c.sink(sandbox.Image{MIME: "image/png", Data: f.png, Alt: f.alt, AfterStdoutBytes: min(f.after, c.stdout)})
		}
	}
}

// syncLocked reads whatever the pipe holds now (non-blocking): see the
// ordering note on Channel.
func (c *Channel) syncLocked() {
	_ = c.rc.Control(func(fd uintptr) {
		c.readLocked(int(fd))
	})
}

type stdoutWriter struct {
	c *Channel
	w io.Writer
}

func (s *stdoutWriter) Write(p []byte) (int, error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.syncLocked()
	n := len(p)
	for len(p) > 0 {
		c.emitLocked()
		k := len(p)
		if len(c.pending) > 0 {
			if next := c.pending[0].after - c.stdout; next < int64(k) {
				k = int(next)
			}
		}
		if s.w != nil {
			_, _ = s.w.Write(p[:k])
		}
		c.stdout += int64(k)
		p = p[k:]
	}
	c.emitLocked()
	return n, nil
}

// ReadFrom keeps io.Copy from bypassing Write; the wrapped writer's own
// end-of-stream handling (sandbox.CapWriter flushes a held-back partial
// character) runs when the copy ends.
func (s *stdoutWriter) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, 32<<10)
	var total int64
	defer func() {
		if f, ok := s.w.(interface{ Flush() }); ok {
			f.Flush()
		}
	}()
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = s.Write(buf[:n])
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
