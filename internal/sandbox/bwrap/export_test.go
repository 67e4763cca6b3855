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
