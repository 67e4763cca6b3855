// Package hostproc keeps the host process fit to start sandboxes: no
// descriptor of its own reaches them, and the processes they leave behind
// are reaped.
package hostproc

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// CloseOnExecFrom marks every descriptor from first up close-on-exec.
// os/exec passes on every descriptor that lacks the flag, so a server
// started as `exec 7</etc/shadow; exec runblock serve` would hand fd 7 to
// each sandbox. Descriptors meant for a child (exec.Cmd.ExtraFiles) are
// unaffected: the child gets them through dup2, which clears the flag.
func CloseOnExecFrom(first int) error {
	err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("close_range: %w", err)
	}
	// Kernels before 5.11 lack the flag (EINVAL) or the call (ENOSYS).
	return closeOnExecSlow(first)
}

func closeOnExecSlow(first int) error {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || fd < first {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil {
			continue // closed since the listing (or the listing's own fd)
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC); err != nil && !errors.Is(err, unix.EBADF) {
			return fmt.Errorf("fd %d: %w", fd, err)
		}
	}
	return nil
}
