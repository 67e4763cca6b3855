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
// A leading dot keeps the runtime's stale-run cleanup away from it.
func WriteLib(parent string) (string, error) {
	files, _ := fs.Glob(pylib, "pylib/*.py")
	h := sha256.New()
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
	for _, f := range files {
		b, _ := pylib.ReadFile(f)
		if err := os.WriteFile(filepath.Join(tmp, filepath.Base(f)), b, 0o444); err != nil {
			return "", fmt.Errorf("figure: lib: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o555); err != nil {
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
