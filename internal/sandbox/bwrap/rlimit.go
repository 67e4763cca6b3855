package bwrap

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/runblock/runblock/internal/sandbox"
)

// rlimits are the limits every sandbox's processes get: no core dumps (a
// host core_pattern may hand them to a host program), a bounded number of
// descriptors, and files no larger than the run's FileBytes (its /box is on
// the host's disk). RLIMIT_AS and RLIMIT_NPROC are avoided on purpose: the
// first breaks runtimes that reserve address space, the second counts per
// uid, not per sandbox (the pids cgroup does that job).
func rlimits(l sandbox.Limits) []rlimit {
	r := []rlimit{{unix.RLIMIT_CORE, 0}, {unix.RLIMIT_NOFILE, 256}}
	if l.FileBytes > 0 {
		r = append(r, rlimit{unix.RLIMIT_FSIZE, uint64(l.FileBytes)})
	}
	return r
}

// rlimit is one resource's limit, soft and hard alike.
type rlimit struct {
	resource int
	value    uint64
}

// limitChild sets rlimits on bwrap's child, held at the block fd: it has
// not yet become the program (it execs it, as PID 1), which keeps them,
// and all it starts inherits them.
//
// Lowering another process's limits needs no privilege when the caller's
// real uid and gid are the target's; root here may lack CAP_SYS_RESOURCE
// (containers), which would be the other way. So one OS thread of the
// server takes the sandbox's uid and gid as its real ids for the calls,
// keeping effective root to take them back. Only this thread changes: the
// raw syscalls bypass Go's all-threads setuid. This replaces starting
// util-linux's prlimit before bwrap, an exec per run.
func limitChild(pid, uid int, dropPriv bool, l sandbox.Limits) (err error) {
	if dropPriv {
		runtime.LockOSThread()
		if err := setRealIDs(uid); err != nil {
			// The ids may be half changed: the thread must not run other
			// goroutines; it ends with this one, left locked.
			return fmt.Errorf("bwrap: rlimits: %w", err)
		}
		defer func() {
			if rerr := setRealIDs(0); rerr != nil {
				err = fmt.Errorf("bwrap: rlimits: restoring the thread's ids: %w", rerr)
				return // locked: the thread ends with the goroutine
			}
			runtime.UnlockOSThread()
		}()
	}
	for _, rl := range rlimits(l) {
		lim := unix.Rlimit{Cur: rl.value, Max: rl.value}
		if err := unix.Prlimit(pid, rl.resource, &lim, nil); err != nil {
			return fmt.Errorf("bwrap: rlimits of %d: %w", pid, err)
		}
	}
	return nil
}

// setRealIDs sets the calling thread's real uid and gid, leaving its
// effective and saved ids root.
func setRealIDs(id int) error {
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(id), 0, 0); e != 0 {
		return fmt.Errorf("setresgid: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(id), 0, 0); e != 0 {
		return fmt.Errorf("setresuid: %w", e)
	}
	return nil
}
