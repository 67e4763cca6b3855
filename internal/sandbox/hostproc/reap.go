package hostproc

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// AdoptOrphans makes this process the reaper of its orphaned descendants
// (PR_SET_CHILD_SUBREAPER). bubblewrap's monitor can exit a moment before
// the sandbox's PID 1 it started; that process is then re-parented, and a
// host PID 1 that doesn't reap (common in containers) keeps it as a zombie
// forever. Adopted here, it is reaped by ReapPidfd.
func AdoptOrphans() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
	}
	return nil
}

// IsReaper reports whether AdoptOrphans is in effect.
func IsReaper() bool {
	var v int32 // the kernel writes the flag through a pointer to an int
	err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0)
	return err == nil && v != 0
}

// ReapPidfd waits for the process behind pidfd if it has become our child,
// and returns at once if it is not (ECHILD): a pidfd names one process, so
// unlike wait4(-1) this never takes the exit status of a child os/exec is
// waiting for. The caller has made sure the process is dying.
func ReapPidfd(pidfd int) error {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PIDFD, pidfd, &info, unix.WEXITED, nil)
		switch {
		case err == nil, errors.Is(err, unix.ECHILD):
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		default:
			return fmt.Errorf("waitid: %w", err)
		}
	}
}
