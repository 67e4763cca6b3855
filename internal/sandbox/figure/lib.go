// Package figure carries a Python program's matplotlib figures out of the
// sandbox: a backend module (pylib/) renders each shown figure to PNG inside
// the sandbox and writes it as a frame on a pipe of its own, and Channel
// reads those frames, checks them, keeps them within the run's image budget
// and hands them on in order with the program's stdout. Nothing on stdout or
// stderr can become an image.
package figure

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/runblock/runblock/internal/pycompile"
)

// SandboxDir is where the runtime binds the lib, read-only. The policy
// guard treats code there like the system's libraries (see validate/guard.py).
const SandboxDir = "/opt/runblock"

// EnvFD names the variable that tells the program its figure descriptor.
const EnvFD = "RUNBLOCK_FIGURE_FD"

// Backend is the MPLBACKEND value that selects the module.
const Backend = "module://runblock_mpl"

//go:embed pylib/*.py
var pylib embed.FS

// WriteLib writes the Python modules into a directory under parent that
// every sandbox uid can read, and returns it. The name is the content's hash:
// runtimes sharing parent reuse one copy, and a changed lib gets a new one.
// A leading dot keeps the runtime's stale-run cleanup away from it. With a
// python, the modules are compiled for it into __pycache__ (the sandbox
// can't write one, so each run would compile them again); a python that
// fails to compile them leaves the lib as source, slower only.
func WriteLib(parent, python string) (string, error) {
	files, _ := fs.Glob(pylib, "pylib/*.py")
	h := sha256.New()
	fmt.Fprintf(h, "pyc for %q\x00", python)
	for _, f := range files {
		b, _ := pylib.ReadFile(f)
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	dir := filepath.Join(parent, ".pylib-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(parent, ".pylib-tmp-")
	if err != nil {
		return "", fmt.Errorf("figure: lib: %w", err)
	}
	defer os.RemoveAll(tmp)
	var names []string
	for _, f := range files {
		b, _ := pylib.ReadFile(f)
		name := filepath.Join(tmp, filepath.Base(f))
		if err := os.WriteFile(name, b, 0o444); err != nil {
			return "", fmt.Errorf("figure: lib: %w", err)
		}
		names = append(names, name)
	}
	if python != "" {
		_ = pycompile.Cache(python, names...) // source still works, slower
	}
	if err := chmodTree(tmp); err != nil {
		return "", fmt.Errorf("figure: lib: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another runtime may have put the same content there first.
		if _, serr := os.Stat(dir); serr == nil {
			return dir, nil
		}
		return "", fmt.Errorf("figure: lib: %w", err)
	}
	return dir, nil
}

// chmodTree makes the lib readable, and nothing of it writable, by all.
func chmodTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o555)
		}
		return os.Chmod(p, 0o444)
	})
}
