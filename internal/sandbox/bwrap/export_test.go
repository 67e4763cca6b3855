package bwrap

import "os"

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
	var rerr error
	if err := r.net.doAs(uid, func() { raw, rerr = os.ReadFile("/proc/thread-self/mountinfo") }); err != nil {
		return "", err
	}
	return string(raw), rerr
}

// UIDs are the runtime's leased uids.
func UIDs(r *Runtime) []int { return r.uids }

// WriteNoFork is writeNoFork.
var WriteNoFork = writeNoFork
