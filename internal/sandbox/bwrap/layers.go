package bwrap

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// etcBase are the entries of /etc that every sandbox sees: the loader's
// cache and the time zone. The languages add theirs (Config.EtcPaths);
// nothing else of the host's configuration is shown.
var etcBase = []string{"/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime"}

// etcPaths is etcBase and extra, without repeats.
func etcPaths(extra []string) []string {
	out := slices.Clone(etcBase)
	for _, p := range extra {
		p = filepath.Clean(p)
		if strings.HasPrefix(p, "/etc/") && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// pthDirs hold Python's site .pth files. Each is code that site runs at
// every interpreter start (Debian's setuptools shim alone imports
// _distutils_hack, ~4 ms), for nothing a lesson uses; sandboxes don't see
// them. Namespace packages' *-nspkg.pth files stay: without matplotlib's,
// mpl_toolkits/__init__.py imports pkg_resources, which costs far more and
// lists every sys.path directory.
var pthDirs = []string{"/usr/lib/python3/dist-packages", "/usr/lib/python3.11/dist-packages"}

// viewLayers are the read-only layers put over the host's directories in
// every view: a copy of etcShown (the /etc view has nothing else) and
// whiteouts that hide the .pth files from the /usr view. The host's /etc
// and /usr themselves are never changed.
type viewLayers struct {
	etc      string   // a directory holding copies of etcPaths
	etcPaths []string // what etc holds, as absolute /etc paths
	usrHide  string   // a directory of whiteouts, laid out like /usr
}

// buildLayers writes the layers under dir/.layers/<hash of their content>.
// Layers under mounted views must never change, and runtimes on one host
// share dir, so a changed host (a package upgrade) gets new directories
// rather than rewriting the old ones.
func buildLayers(dir string, extraEtc []string) (viewLayers, error) {
	root := filepath.Join(dir, ".layers")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return viewLayers{}, err
	}
	shown := etcPaths(extraEtc)
	// Another runtime may have built the same layers first: its copy is used.
	final, err := publishDir(root, ".new-", func(tmp string) (string, error) {
		if err := os.Chmod(tmp, 0o755); err != nil {
			return "", err
		}
		h := sha256.New()
		etc := filepath.Join(tmp, "etc")
		if err := os.Mkdir(etc, 0o755); err != nil {
			return "", err
		}
		for _, p := range shown {
			to := filepath.Join(etc, strings.TrimPrefix(p, "/etc/"))
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return "", err
			}
			if err := copyTree(p, to, h); err != nil && !os.IsNotExist(err) {
				return "", fmt.Errorf("copy %s: %w", p, err)
			}
		}
		hide := filepath.Join(tmp, "usr-hide")
		for _, d := range pthDirs {
			pths, _ := filepath.Glob(filepath.Join(d, "*.pth"))
			for _, p := range pths {
				if strings.HasSuffix(p, "-nspkg.pth") {
					continue
				}
				if err := whiteout(hide, p, h); err != nil {
					return "", err
				}
			}
		}
		if err := hideUsrLocal(hide, h); err != nil {
			return "", err
		}
		if err := os.MkdirAll(hide, 0o755); err != nil {
			return "", err
		}
		return filepath.Join(root, hex.EncodeToString(h.Sum(nil))[:16]), nil
	})
	if err != nil {
		return viewLayers{}, err
	}
	return viewLayers{etc: filepath.Join(final, "etc"), etcPaths: shown, usrHide: filepath.Join(final, "usr-hide")}, nil
}

// hideUsrLocal adds whiteouts for all of /usr/local but usrLocalKeep to
// the /usr layer: what the host installed there by hand (toolchains,
// scripts) stays out of sandboxes, as a tmpfs over it did without views,
// for no mount of a sandbox's own (each costs its bwrap a read of the
// whole mount table). What appears there after the start shows until the
// next one: the layers are made at start-up.
func hideUsrLocal(hide string, h io.Writer) error {
	keep := usrLocalKeep()
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil // no /usr/local: nothing to hide
		}
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if slices.Contains(keep, p) {
				continue
			}
			if slices.ContainsFunc(keep, func(k string) bool { return strings.HasPrefix(k, p+"/") }) {
				if err := walk(p); err != nil {
					return err
				}
				continue
			}
			if err := whiteout(hide, p, h); err != nil {
				return err
			}
		}
		return nil
	}
	return walk("/usr/local")
}

// whiteout hides the /usr path p in the layer hide, and notes it in h.
// A 0/0 character device is overlayfs' whiteout: the name is absent from
// the merged view.
func whiteout(hide, p string, h io.Writer) error {
	wo := filepath.Join(hide, strings.TrimPrefix(p, "/usr"))
	if err := os.MkdirAll(filepath.Dir(wo), 0o755); err != nil {
		return err
	}
	if err := unix.Mknod(wo, unix.S_IFCHR|0o000, 0); err != nil {
		return fmt.Errorf("whiteout %s: %w", p, err)
	}
	fmt.Fprintf(h, "hide %s\n", p)
	return nil
}

// copyTree copies src to dst, keeping symbolic links as links, and feeds
// every name and content into h.
func copyTree(src, dst string, h io.Writer) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %s\n", p, info.Mode().Type())
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "-> %s\n", target)
			return os.Symlink(target, to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case info.Mode().IsRegular():
			return copyFile(p, to, info.Mode().Perm()&0o755|0o444, h)
		}
		return nil // sockets, devices, fifos: nothing a library reads
	})
}

func copyFile(src, dst string, perm fs.FileMode, h io.Writer) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
