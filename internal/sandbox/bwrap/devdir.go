package bwrap

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// devNodes are the devices bwrap's --dev gives a sandbox, by number.
var devNodes = []struct {
	name         string
	major, minor uint32
}{
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
}

var devLinks = map[string]string{
	"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
	"stderr": "/proc/self/fd/2", "core": "/proc/kcore",
}

// writeDevDir makes a directory laid out like bwrap's --dev (the same
// device nodes and links, an empty shm for the capped tmpfs) that every
// sandbox binds as /dev. --dev binds each node on its own, and each bind
// costs bwrap a read of the whole mount table: one bind instead of seven
// is a quarter of a sandbox's set-up. The directory is root's and 0755, so
// a sandbox's uid can't add to it (/dev is no second, uncapped /tmp). It
// returns "" when device nodes would not work there (a nodev file system):
// sandboxes then use --dev.
func writeDevDir(workDir string) (string, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(workDir, &st); err != nil {
		return "", fmt.Errorf("bwrap: /dev: %w", err)
	}
	if st.Flags&unix.ST_NODEV != 0 {
		return "", nil
	}
	dir := filepath.Join(workDir, ".dev")
	// Made once per host and never changed: runtimes share the work dir,
	// and their sandboxes may have it bound this moment.
	if _, err := os.Stat(filepath.Join(dir, "tty")); err == nil {
		return dir, nil
	}
	d, err := publishDir(workDir, ".dev-", func(tmp string) (string, error) {
		for _, d := range []string{"shm", "pts"} {
			if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
				return "", err
			}
		}
		for _, n := range devNodes {
			if err := unix.Mknod(filepath.Join(tmp, n.name), unix.S_IFCHR|0o666, int(unix.Mkdev(n.major, n.minor))); err != nil {
				return "", fmt.Errorf("%s: %w", n.name, err)
			}
			// mknod's mode passes through the umask.
			if err := os.Chmod(filepath.Join(tmp, n.name), 0o666); err != nil {
				return "", fmt.Errorf("%s: %w", n.name, err)
			}
		}
		for name, target := range devLinks {
			if err := os.Symlink(target, filepath.Join(tmp, name)); err != nil {
				return "", fmt.Errorf("%s: %w", name, err)
			}
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			return "", err
		}
		return dir, nil
	})
	if err != nil {
		return "", fmt.Errorf("bwrap: /dev: %w", err)
	}
	return d, nil
}

// publishDir fills a new directory under parent and renames it to the
// name fill returns, so that runtimes sharing parent (tests start many at
// once) never see it half made. When another runtime put the same there
// first, its copy is used: these directories are named by what they hold
// and never change once in place.
func publishDir(parent, prefix string, fill func(tmp string) (final string, err error)) (string, error) {
	tmp, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	final, err := fill(tmp)
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(final); statErr == nil {
			return final, nil
		}
		return "", err
	}
	return final, nil
}

// devArgs mount /dev: the shared directory, or bwrap's own when there is
// none; either way with a capped tmpfs for POSIX shared memory.
func (r *Runtime) devArgs(tmpBytes int64) []string {
	shm := []string{"--size", fmt.Sprint(tmpBytes), "--tmpfs", "/dev/shm"}
	if r.devDir == "" {
		// /dev is a tmpfs without a size cap: read-only, or it is a
		// second, unbounded /tmp.
		return append(append([]string{"--dev", "/dev"}, shm...), "--remount-ro", "/dev")
	}
	return append([]string{"--dev-bind", r.devDir, "/dev"}, shm...)
}
