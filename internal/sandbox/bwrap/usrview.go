package bwrap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// usrViews gives each leased uid its own read-only overlayfs view of /usr
// and /etc (of which sandboxes see a few files). File locks (flock, fcntl)
// belong to an inode, and a bind mount shares the host's inodes: a sandbox
// could lock /usr/bin/python3 against host tools and signal to a concurrent
// sandbox through lock state. Files reached
// through an overlay have the overlay's own inodes, so a sandbox's locks
// are seen only by the sandboxes of the same uid, which never run at once
// (a uid is one slot). Content, page cache and speed are the host's.
//
// The mounts live in the host's mount namespace, one per uid, and are
// remounted whenever a runtime leases the uid (so a package upgrade shows
// after a restart, and one left by a crashed instance is replaced).
type usrViews struct {
	dir    string
	mnts   map[int]string // uid -> directory holding its views, named after the host dirs
	empty  string
	layers viewLayers
}

// mountUsrViews mounts a view for each uid under dir. It fails where
// overlayfs can't be mounted (no CAP_SYS_ADMIN, no overlay support).
//
// With ownCwd (the calling thread's working directory is its own, and
// may change), it moves there and names the layers relative to dir:
// overlayfs shows them as given in the mount table, which bwrap has the
// kernel format for each bind of every sandbox, and two dozen views'
// long paths were a third of that work.
func mountUsrViews(dir string, uids []int, etcPaths []string, ownCwd bool) (*usrViews, error) {
	v := &usrViews{dir: dir, mnts: map[int]string{}, empty: filepath.Join(dir, ".empty")}
	// The second, empty layer: overlayfs needs two lower layers when it
	// has no upper one.
	if err := os.MkdirAll(v.empty, 0o755); err != nil {
		return nil, fmt.Errorf("bwrap: /usr views: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bwrap: /usr views: %w", err)
	}
	var err error
	if v.layers, err = buildLayers(dir, etcPaths); err != nil {
		return nil, fmt.Errorf("bwrap: /usr views: %w", err)
	}
	inDir := ownCwd && unix.Chdir(dir) == nil
	name := func(p string) string {
		if rel, err := filepath.Rel(dir, p); err == nil && inDir && !strings.HasPrefix(rel, "..") {
			return rel
		}
		return p
	}
	lower := map[string]string{
		"/usr": name(v.layers.usrHide) + ":/usr",
		"/etc": name(v.layers.etc) + ":" + name(v.empty),
	}
	for _, uid := range uids {
		base := filepath.Join(dir, strconv.Itoa(uid))
		v.mnts[uid] = base
		for _, src := range viewed {
			mp := filepath.Join(base, src)
			if err := os.MkdirAll(mp, 0o755); err != nil {
				v.unmount()
				return nil, fmt.Errorf("bwrap: /usr views: %w", err)
			}
			// A view left by an instance that died: replace it.
			_ = unix.Unmount(mp, unix.MNT_DETACH)
			opts := "lowerdir=" + lower[src]
			if err := unix.Mount("overlay", mp, "overlay", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
				v.unmount()
				return nil, fmt.Errorf("bwrap: mount overlay of %s on %s: %w", src, mp, err)
			}
		}
	}
	return v, nil
}

// viewed are the host directories sandboxes see through views: all of
// /usr but its .pth files, and of /etc only etcShown (see layers.go).
var viewed = []string{"/usr", "/etc"}

// of returns the host path to bind for path (under one of viewed) in a
// sandbox of uid: the same path in its view, or path itself when views are
// off.
func (v *usrViews) of(uid int, path string) string {
	if v == nil {
		return path
	}
	if base, ok := v.mnts[uid]; ok {
		return filepath.Join(base, path)
	}
	return path
}

// etc returns uid's view of /etc, which holds only the layer's copies;
// false when it has none (binding the host's /etc instead would show all
// of it).
func (v *usrViews) etc(uid int) (string, bool) {
	if v == nil {
		return "", false
	}
	base, ok := v.mnts[uid]
	return filepath.Join(base, "/etc"), ok
}

// inEtc reports whether the /etc view holds every /etc path of paths
// (/usr is all in its view).
func (v *usrViews) inEtc(paths []string) bool {
	if v == nil {
		return false
	}
	for _, p := range paths {
		if strings.HasPrefix(p, "/etc/") && !slices.Contains(v.layers.etcPaths, filepath.Clean(p)) {
			return false
		}
	}
	return true
}

// unmount detaches the views. Sandboxes still running keep theirs: bwrap
// bound a copy into their own mount namespace.
func (v *usrViews) unmount() error {
	if v == nil {
		return nil
	}
	var errs []error
	for uid, base := range v.mnts {
		for _, src := range viewed {
			// EINVAL: not mounted (a failed New), ENOENT: never created.
			err := unix.Unmount(filepath.Join(base, src), unix.MNT_DETACH)
			if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
				errs = append(errs, err)
			}
		}
		delete(v.mnts, uid)
	}
	return errors.Join(errs...)
}

// sweepStaleViews unmounts the views of uids that no runtime holds: views
// a killed runtime left mounted. Every sandbox's bwrap reads the whole
// mount table for each bind, so stale mounts slow every run on the host.
// Holding a uid's lease lock (see uids.go) while unmounting keeps another
// runtime from leasing it meanwhile.
func sweepStaleViews(dir, leaseDir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		f, err := os.OpenFile(filepath.Join(leaseDir, e.Name()+".lock"), os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			for _, src := range viewed {
				_ = unix.Unmount(filepath.Join(dir, e.Name(), src), unix.MNT_DETACH)
			}
		}
		f.Close() // drops the lock
	}
}
