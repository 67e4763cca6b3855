package bwrap

import (
	"os"

	"golang.org/x/sys/unix"
)

// LauncherMountinfo is the mount table of the namespace sandboxes are
// started from.
func LauncherMountinfo(r *Runtime) (string, error) {
	var raw []byte
	var err error
	r.onLauncher(func() { raw, err = os.ReadFile("/proc/thread-self/mountinfo") })
	return string(raw), err
}

// UIDMountinfo is the mount table of the namespace uid's sandboxes are
// started from.
func UIDMountinfo(r *Runtime, uid int) (string, error) {
	var raw []byte
	var err error
	r.onLauncher(func() {
		if fd, ok := r.net.perUID[uid]; ok {
			if err = unix.Setns(fd, unix.CLONE_NEWNS); err != nil {
				return
			}
			defer r.net.toBase()
		}
		raw, err = os.ReadFile("/proc/thread-self/mountinfo")
	})
	return string(raw), err
}

// UIDs are the runtime's leased uids.
func UIDs(r *Runtime) []int { return r.uids }

// WriteNoFork is writeNoFork.
var WriteNoFork = writeNoFork
