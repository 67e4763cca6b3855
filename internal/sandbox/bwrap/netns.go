package bwrap

import (
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// launcher starts sandboxes from one OS thread that lives in namespaces of
// its own, made once when the runtime starts. A process is born in the
// network and mount namespaces of the thread that forks it.
//
// Its network namespace is empty, with no interface up (not even lo),
// and every sandbox joins it (bwrap --share-net) instead of making its
// own: making a network namespace and tearing it down again (the kernel
// defers that to a worker) cost about 2 ms of CPU a run, as much as all
// the rest of bubblewrap's set-up, and with concurrent runs on a small
// machine that CPU is the throughput. The sandboxes stay apart: with no
// interface up nothing is reachable, not even the sandbox itself, and the
// namespace belongs to the host's user namespace, so no sandbox can bring
// an interface up or change anything in it (it has no capability there).
// What processes in one network namespace share is what their sockets
// hold (abstract unix socket names, port numbers, the socket lists of
// /proc/net), and the seccomp filter refuses socket(2) for every family
// (see pairFamilies).
//
// Its mount namespace (see ownMounts) holds the per-uid /usr and /etc
// views and little else: bwrap reads the whole mount table once for each
// bind it makes (the kernel formats every line each time), so each mount
// there costs every run. The host's table stays free of the views, and
// they go with the process however it ends.
//
// It needs CAP_SYS_ADMIN (the server as root, as with the uids); without
// it each sandbox gets its own network namespace and the views are the
// host's mounts, as before.
type launcher struct {
	mu     sync.Mutex
	jobs   chan func()
	done   chan struct{}
	closed bool
	// mounts: the thread has a mount namespace of its own, and with it a
	// working directory of its own (unsharing the one unshares the other).
	mounts bool
}

func newLauncher(keep mountKeep, log *slog.Logger) (*launcher, error) {
	l := &launcher{jobs: make(chan func()), done: make(chan struct{})}
	ready := make(chan error)
	goLockedOffMain(func() {
		defer close(l.done)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ready <- err
			return
		}
		own, err := ownMounts(keep)
		if err != nil {
			if own {
				ready <- err // out of the host's namespace, but not private
				return
			}
			log.Warn("sandboxes are made from the host's whole mount table", "err", err)
		}
		l.mounts = own
		ready <- nil
		for job := range l.jobs {
			job()
		}
	})
	if err := <-ready; err != nil {
		return nil, fmt.Errorf("bwrap: launcher namespaces: %w", err)
	}
	return l, nil
}

// goLockedOffMain runs body in a new goroutine locked to an OS thread that
// is not the process's main thread, and never unlocks it: the thread
// leaves the host's namespaces for good, and Go ends a thread whose
// goroutine returns locked (new threads the runtime needs meanwhile come
// from its template thread, not from this one). Not the main thread:
// /proc/self shows the main thread's namespaces, and Go can't end that
// thread, only park it.
func goLockedOffMain(body func()) {
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			body()
			return
		}
		// On the main thread: keep it while another goroutine, which
		// can't be scheduled here meanwhile, takes a thread of its own.
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(locked)
			body()
		}()
		<-locked
		runtime.UnlockOSThread()
	}()
}

// errLauncherClosed: the runtime is closing.
var errLauncherClosed = errors.New("bwrap: runtime closed")

// do runs f on the launcher's thread.
func (l *launcher) do(f func()) error {
	ran := make(chan struct{})
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errLauncherClosed
	}
	// Sent under the lock so close can't close the channel under a sender.
	l.jobs <- func() { f(); close(ran) }
	l.mu.Unlock()
	<-ran
	return nil
}

// start runs cmd.Start on the launcher's thread. The thread outlives every
// sandbox it starts (close comes after they are killed), which matters:
// Pdeathsig and bwrap's --die-with-parent fire when the thread that forked
// a process ends, not the process.
func (l *launcher) start(cmd *exec.Cmd) error {
	var err error
	if derr := l.do(func() { err = cmd.Start() }); derr != nil {
		return derr
	}
	return err
}

// close ends the launcher's thread, and with it its namespaces (the
// network one once the last sandbox in it is gone).
func (l *launcher) close() {
	if l == nil {
		return
	}
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.jobs)
	}
	l.mu.Unlock()
	<-l.done
}
