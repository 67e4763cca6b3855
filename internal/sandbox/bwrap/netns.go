package bwrap

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// netLauncher starts sandboxes from one OS thread that lives in a network
// namespace of its own, made once when the runtime starts: an empty one,
// with no interface up (not even lo), which every sandbox then joins
// (bwrap --share-net) instead of making its own. A process is born in the
// network namespace of the thread that forks it.
//
// Why: making a network namespace and tearing it down again (the kernel
// defers that to a worker) costs about 2 ms of CPU, as much as
// all the rest of bubblewrap's set-up; with concurrent runs on a small
// machine, that CPU is the throughput.
//
// Why the sandboxes stay apart: with no interface up nothing is
// reachable, not even the sandbox itself, and the namespace belongs to the
// host's user namespace, so no sandbox can bring an interface up or
// change anything in it (it has no capability there). What processes in
// one network namespace share is what their sockets hold (abstract unix
// socket names, port numbers, the socket lists of /proc/net), and the
// seccomp filter refuses socket(2) for every family (see pairFamilies).
//
// It needs CAP_SYS_ADMIN (the server as root, as with the uids); without
// it each sandbox gets its own network namespace, as before.
type netLauncher struct {
	mu     sync.Mutex
	starts chan func()
	done   chan struct{}
	closed bool
}

func newNetLauncher() (*netLauncher, error) {
	l := &netLauncher{starts: make(chan func()), done: make(chan struct{})}
	ready := make(chan error)
	go func() {
		defer close(l.done)
		// Never unlocked: the thread leaves the host's network namespace
		// for good, and Go ends a thread whose goroutine returns locked.
		// New threads the runtime needs meanwhile come from its template
		// thread, not from this one.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ready <- err
			return
		}
		ready <- nil
		for start := range l.starts {
			start()
		}
	}()
	if err := <-ready; err != nil {
		return nil, fmt.Errorf("bwrap: shared network namespace: %w", err)
	}
	return l, nil
}

// errLauncherClosed: the runtime is closing.
var errLauncherClosed = errors.New("bwrap: runtime closed")

// start runs cmd.Start on the launcher's thread. The thread outlives every
// sandbox it starts (close comes after they are killed), which matters:
// Pdeathsig and bwrap's --die-with-parent fire when the thread that forked
// a process ends, not the process.
func (l *netLauncher) start(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errLauncherClosed
	}
	// Sent under the lock so close can't close the channel under a sender.
	l.starts <- func() { errc <- cmd.Start() }
	l.mu.Unlock()
	return <-errc
}

// close ends the launcher's thread (and with it the namespace, once the
// last sandbox in it is gone).
func (l *netLauncher) close() {
	if l == nil {
		return
	}
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.starts)
	}
	l.mu.Unlock()
	<-l.done
}
