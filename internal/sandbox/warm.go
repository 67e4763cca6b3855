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
	// Hold sets up req's sandboxes (the compile step's, if any, and the
	// run's) without starting anything in them: no program runs before
	// Go, which writes the files and runs the steps as Runtime.Run does.
	// req's Files, Stdin, Stdout, Stderr and Compiled are ignored; only
	// whether req.Images is set counts. It fails with ErrBusy when the
	// runtime has no free capacity.
	Hold(ctx context.Context, req Request) (Held, error)
}

// Held is a prestarted sandbox, good for exactly one run.
type Held interface {
	// Go removes the files named in run.Drop from the program's directory,
	// adds run.Files, attaches its input and output, restarts the
	// accounting (memory limit, peak and CPU count from here: what the
	// sandbox was set up or started with is not the program's own) and
	// lets it run. The result is as Runtime.Run's.
	Go(ctx context.Context, run HeldRun) (Result, error)
	// Done is closed if the sandbox ends before Go (it is then useless).
	Done() <-chan struct{}
	// Close destroys the sandbox; after Go it only frees what is left.
	Close()
}

// HeldRun is what a run brings to its held sandbox.
type HeldRun struct {
	// Drop names files of the sandbox's start the program should not see
	// (a start-up script).
	Drop  []string
	Files []File
	Stdin io.Reader
	// Stdout and Stderr receive the output of every step.
	Stdout, Stderr io.Writer
	// Images receives the run's figures when the sandbox was set up with
	// a figure channel (its Request's Images set); else it is unused.
	Images ImageSink
	// Compiled is as Request.Compiled (a held compile step calls it).
	Compiled func(artifacts []File)
	// Wall bounds the run (and a compile step without a wall limit of its
	// own); zero: the sandbox's limit.
	Wall time.Duration
}
