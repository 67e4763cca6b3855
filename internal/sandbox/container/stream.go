package container

import (
	"bytes"
	"io"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"golang.org/x/sys/unix"
)

// demux splits the attach stream (not a TTY: frames tagged stdout or
// stderr) as frames arrive, so output reaches the caller live.
func demux(stdout, stderr io.Writer, src io.Reader) error {
	_, err := stdcopy.StdCopy(stdout, stderr, src)
	return err
}

// switchWriter buffers what arrives before its destination is known: a
// container is attached before it starts, and its run's writers come later.
type switchWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf bytes.Buffer
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		// Bounded: before its files a container's boot script writes
		// nothing but an error message.
		if s.buf.Len() < 64<<10 {
			s.buf.Write(p)
		}
		return len(p), nil
	}
	return s.w.Write(p)
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
	if s.buf.Len() > 0 {
		w.Write(s.buf.Bytes())
		s.buf.Reset()
	}
}

func signalName(n int) string {
	if name := unix.SignalName(unix.Signal(n)); name != "" {
		return name
	}
	return ""
}
