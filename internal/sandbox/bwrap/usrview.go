package bwrap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// usrViews gives each leased uid its own read-only overlayfs view of /usr.
// File locks (flock, fcntl) belong to an inode, and a bind mount shares the
// host's inodes: a sandbox could lock /usr/bin/python3 against host tools
// and signal to a concurrent sandbox through lock state. Files reached
// through an overlay have the overlay's own inodes, so a sandbox's locks
// are seen only by the sandboxes of the same uid, which never run at once
// (a uid is one slot). Content, page cache and speed are the host's.
//
// The mounts live in the host's mount namespace, one per uid, and are
// remounted whenever a runtime leases the uid (so a package upgrade shows
// after a restart, and one left by a crashed instance is replaced).
type usrViews struct {
	dir   string
	mnts  map[int]string // uid -> mount point
	empty string
}

// mountUsrViews mounts a view for each uid under dir. It fails where
// overlayfs can't be mounted (no CAP_SYS_ADMIN, no overlay support).
func mountUsrViews(dir string, uids []int) (*usrViews, error) {
	v := &usrViews{dir: dir, mnts: map[int]string{}, empty: filepath.Join(dir, ".empty")}
	// The second, empty layer: overlayfs needs two lower layers when it
	// has no upper one.
	if err := os.MkdirAll(v.empty, 0o755); err != nil {
		return nil, fmt.Errorf("bwrap: /usr views: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bwrap: /usr views: %w", err)
	}
	for _, uid := range uids {
		mp := filepath.Join(dir, strconv.Itoa(uid))
		if err := os.MkdirAll(mp, 0o755); err != nil {
			v.unmount()
			return nil, fmt.Errorf("bwrap: /usr views: %w", err)
		}
		// A view left by an instance that died: replace it.
		_ = unix.Unmount(mp, unix.MNT_DETACH)
		opts := "lowerdir=/usr:" + v.empty
		if err := unix.Mount("overlay", mp, "overlay", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
			v.unmount()
			return nil, fmt.Errorf("bwrap: mount overlay of /usr on %s: %w", mp, err)
		}
		v.mnts[uid] = mp
	}
	return v, nil
}

// of returns the /usr to bind for uid: its view, or the host's /usr when
// views are off.
func (v *usrViews) of(uid int) string {
	if v == nil {
		return "/usr"
	}
	if mp, ok := v.mnts[uid]; ok {
		return mp
	}
	return "/usr"
}

// unmount detaches the views. Sandboxes still running keep theirs: bwrap
// bound a copy into their own mount namespace.
func (v *usrViews) unmount() error {
	if v == nil {
		return nil
	}
	var errs []error
	for uid, mp := range v.mnts {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			errs = append(errs, err)
		}
		delete(v.mnts, uid)
	}
	return errors.Join(errs...)
}
