package bwrap

import (
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/runblock/runblock/internal/sandbox/hostproc"
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
	// base is that namespace; perUID holds, for each uid, a copy of it
	// with only that uid's views (see splitViews). Only the thread uses them.
	base   int
	perUID map[int]int
}

func newLauncher(keep mountKeep, log *slog.Logger) (*launcher, error) {
	l := &launcher{jobs: make(chan func()), done: make(chan struct{}), base: -1}
	ready := make(chan error)
	goLockedOffMain(func() {
		defer close(l.done)
		// Its children keep the host's timer slack, not the server's.
		if release, err := hostproc.KeepHostSlack(); err != nil {
			log.Warn("sandboxes inherit the server's timer slack", "err", err)
		} else {
			defer release()
		}
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
		if own && err == nil {
			l.base, _ = unix.Open("/proc/thread-self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		}
		ready <- nil
		for job := range l.jobs {
			job()
		}
		for _, fd := range l.perUID {
			unix.Close(fd)
		}
		if l.base >= 0 {
			unix.Close(l.base)
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

// start runs cmd.Start on the launcher's thread, in uid's namespace when
// it has one. The thread outlives every sandbox it starts (close comes
// after they are killed), which matters: Pdeathsig and bwrap's
// --die-with-parent fire when the thread that forked a process ends, not
// the process.
func (l *launcher) start(cmd *exec.Cmd, uid int) error {
	var err error
	if derr := l.doAs(uid, func() { err = cmd.Start() }); derr != nil {
		return derr
	}
	return err
}

// doAs runs f on the launcher's thread in uid's mount namespace (the base
// one when uid has none), then takes the thread back to the base one,
// which every other job expects.
func (l *launcher) doAs(uid int, f func()) error {
	var err error
	if derr := l.do(func() {
		if fd, ok := l.perUID[uid]; ok {
			if err = unix.Setns(fd, unix.CLONE_NEWNS); err != nil {
				return
			}
			defer l.toBase()
		}
		f()
	}); derr != nil {
		return derr
	}
	return err
}

// splitViews gives each uid of views a mount namespace of its own, a copy
// of the launcher's without the other uids' views, for its sandboxes to
// start from. bwrap has the kernel format the whole table for each bind it
// makes, and copies and tears down every mount in it: with two views per
// uid, the other uids' views were most of that work. On the launcher's
// thread, after the views are mounted; a uid whose copy fails starts from
// the launcher's namespace, as before.
func (l *launcher) splitViews(views *usrViews) error {
	if l.base < 0 || views == nil {
		return nil
	}
	l.perUID = map[int]int{}
	for uid := range views.mnts {
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			return err
		}
		for other, base := range views.mnts {
			if other == uid {
				continue
			}
			for _, src := range viewed {
				_ = unix.Unmount(filepath.Join(base, src), unix.MNT_DETACH)
			}
		}
		fd, err := unix.Open("/proc/thread-self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			l.perUID[uid] = fd
		}
		l.toBase()
		if err != nil {
			return err
		}
	}
	return nil
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

// toBase takes the launcher's thread back to its base mount namespace.
// Setns to a namespace the thread came from, held open, with the
// capabilities it had there, does not fail; if it did, the thread would
// start other uids' sandboxes from the wrong table, so it stops the server
// instead.
func (l *launcher) toBase() {
	if err := unix.Setns(l.base, unix.CLONE_NEWNS); err != nil {
		panic(fmt.Sprintf("bwrap: launcher can't return to its mount namespace: %v", err))
	}
}
