package bwrap

import (
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// mountKeep names the mounts sandboxes are made from, which the
// launcher's mount namespace keeps; it detaches the rest (the host's /sys
// and its cgroup hierarchies, /dev/pts, other file systems).
type mountKeep struct {
	// trees are kept with every mount on the way to them and below them:
	// /usr and /etc (the views' lower layers), the work and view dirs.
	trees []string
	// points are kept with the mounts on the way to them, but nothing
	// below: /proc (bwrap reads its own there) and /dev.
	points []string
}

func (k mountKeep) keeps(p string) bool {
	if p == "/" {
		return true
	}
	for _, t := range k.trees {
		if within(p, t) || within(t, p) {
			return true
		}
	}
	for _, q := range k.points {
		if within(q, p) {
			return true
		}
	}
	return false
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// ownMounts gives the calling locked thread a private copy of the host's
// mount namespace and detaches from it every mount that k does not keep.
// It reports whether the thread left the host's namespace; an error with
// true means it did, but the copy could not be made private and nothing
// was detached.
func ownMounts(k mountKeep) (bool, error) {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return false, err
	}
	// Private first: a copy's shared mounts stay peers of the host's, and
	// an unmount here would propagate there.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return true, err
	}
	raw, err := os.ReadFile("/proc/thread-self/mountinfo")
	if err != nil {
		return true, nil // all kept: slower runs, nothing wrong
	}
	points := mountPoints(raw)
	// Deepest first, so a mount's submounts go before it.
	slices.SortStableFunc(points, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, p := range points {
		if !k.keeps(p) {
			_ = unix.Unmount(p, unix.MNT_DETACH) // gone already with its parent, or busy: kept
		}
	}
	return true, nil
}

// mountPoints reads the mount points (field 5) of a mountinfo table, one
// per line, so as often as mounts are stacked there.
func mountPoints(raw []byte) []string {
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 5 {
			out = append(out, unescapeMount(f[4]))
		}
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, \011,
// \012, \134).
func unescapeMount(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
