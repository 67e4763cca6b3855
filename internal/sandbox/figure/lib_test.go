package figure

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The lib comes compiled for the sandbox's python, so a run imports its
// modules without compiling them (the sandbox can't keep a cache), and
// the compiled modules are the ones Python loads.
func TestWriteLibCompilesForPython(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is needed (scripts/setup.sh installs it): %v", python, err)
	}
	parent := t.TempDir()
	dir, err := WriteLib(parent, python)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"sitecustomize", "runblock_figures", "runblock_mpl"} {
		pycs, _ := filepath.Glob(filepath.Join(dir, "__pycache__", m+".cpython-*.pyc"))
		if len(pycs) != 1 {
			t.Fatalf("%s: compiled %v", m, pycs)
		}
	}
	// The import must take the .pyc as it is: compiling the source fails.
	out, err := exec.Command(python, "-I", "-S", "-B", "-c",
		"import sys, importlib._bootstrap_external as b\n"+
			"def refuse(*a, **k): raise RuntimeError('compiled the source')\n"+
			"b.SourceFileLoader.source_to_code = refuse\n"+
			"sys.path.insert(0, sys.argv[1])\n"+
			"import runblock_figures, sitecustomize\n"+
			"print('imported')", dir).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "imported" {
		t.Fatalf("import: %v %s", err, out)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o555 {
		t.Fatalf("lib dir mode: %v %v", st.Mode(), err)
	}
	// Without a python it stays source, under another name (a lib written
	// before with pycs is not taken for it, nor the other way round).
	src, err := WriteLib(parent, "")
	if err != nil || src == dir {
		t.Fatalf("source lib %q (compiled %q): %v", src, dir, err)
	}
	if _, err := os.Stat(filepath.Join(src, "__pycache__")); !os.IsNotExist(err) {
		t.Fatalf("source lib has a cache: %v", err)
	}
	// The same content again reuses the directory.
	again, err := WriteLib(parent, python)
	if err != nil || again != dir {
		t.Fatalf("again: %q %v", again, err)
	}
}
