package sandbox

import (
	"context"
	"io"
	"time"
)

// Prestarter is implemented by runtimes that can set a sandbox up before
// its run exists: namespaces, cgroup, uid and the interpreter started and
// waiting. Used by the front door's warm pools.
type Prestarter interface {
	// Prestart starts req's program (its Files are in place, its Stdin,
	// Stdout and Stderr are ignored) held until Go. When req.Images is set
	// (any non-nil sink: only whether it is set counts) the program starts
	// with the figure channel in place, since Python's site module sets it
	// up at start-up; Go's images then receives the figures. The program must read
	// one byte from stdin before it reads anything else there or opens the
	// files Go adds (see the front door's boot script). extraMemory is
	// allowed on top of req's memory limit until Go, for libraries loaded
	// ahead. It fails with ErrBusy when the runtime has no free capacity.
	Prestart(ctx context.Context, req Request, extraMemory int64) (Held, error)
}

// Held is a prestarted sandbox, good for exactly one run.
type Held interface {
	// Go removes the files named in drop from the program's directory (a
	// start-up script the program should not see), adds files, attaches its input and
	// output, restarts the accounting (memory limit, peak and CPU count
	// from here: what the program was started with is not its own) and
	// lets it run, at most wall. The result is as Runtime.Run's.
	// images receives the run's figures when the sandbox was prestarted
	// with a figure channel (its Request's Images set); else it is unused.
	Go(ctx context.Context, drop []string, files []File, stdin io.Reader, stdout, stderr io.Writer, images ImageSink, wall time.Duration) (Result, error)
	// Done is closed if the sandbox ends before Go (it is then useless).
	Done() <-chan struct{}
	// Close destroys the sandbox; after Go it only frees what is left.
	Close()
}
