package catalog

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
)

// fakeLock names: numpy (wheel present), pandas (wheel present, but its
// dependency pytz's wheel is missing), pytz (missing), six (present),
// libopenblas (a shared library: present but not importable), a package
// served from another origin, and numpy's unvendored tests.
const fakeLock = `{
 "info": {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3", "python": "3.14.2"},
 "packages": {
  "numpy": {"name": "numpy", "version": "2.4.6", "file_name": "numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "depends": ["libopenblas"], "imports": ["numpy"]},
  "libopenblas": {"name": "libopenblas", "version": "0.3.26", "file_name": "libopenblas-0.3.26.zip", "depends": [], "imports": []},
  "pandas": {"name": "pandas", "version": "2.3.3", "file_name": "pandas-2.3.3-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "depends": ["numpy", "pytz"], "imports": ["pandas"]},
  "pytz": {"name": "pytz", "version": "2025.2", "file_name": "pytz-2025.2-py2.py3-none-any.whl", "depends": [], "imports": ["pytz"]},
  "six": {"name": "six", "version": "1.17.0", "file_name": "six-1.17.0-py2.py3-none-any.whl", "depends": [], "imports": ["six"]},
  "remote": {"name": "remote", "version": "1.0", "file_name": "https://cdn.example/remote-1.0-py3-none-any.whl", "depends": [], "imports": ["remote"]},
  "numpy-tests": {"name": "numpy-tests", "version": "2.4.6", "file_name": "numpy-tests.zip", "depends": ["numpy"], "imports": []}
 }
}`

func fakeDistribution(lock string, extra ...string) fstest.MapFS {
	fsys := fstest.MapFS{
		"pyodide.mjs":       {Data: []byte("export {}")},
		"pyodide.asm.mjs":   {Data: []byte("export {}")},
		"pyodide.asm.wasm":  {Data: []byte("\x00asm")},
		"python_stdlib.zip": {Data: []byte("PK")},
		"pyodide-lock.json": {Data: []byte(lock)},
		"package.json":      {Data: []byte(`{"name": "pyodide", "version": "314.0.7"}`)},
	}
	for _, f := range extra {
		fsys[f] = &fstest.MapFile{Data: []byte("PK")}
	}
	return fsys
}

func TestInspectPyodideListsOnlyServedPackages(t *testing.T) {
	b := InspectPyodide(fakeDistribution(fakeLock,
		"numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "libopenblas-0.3.26.zip",
		"pandas-2.3.3-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "six-1.17.0-py2.py3-none-any.whl",
		"numpy-tests.zip"), true)
	if !b.Available || b.Version != "314.0.7" || b.Python != "3.14.2" || !b.Operator {
		t.Fatalf("browser %+v", b)
	}
	// pandas has its wheel but not pytz's: loadPackage would fail, so it is not listed.
	want := []string{"numpy==2.4.6", "six==1.17.0"}
	if !slices.Equal(b.Packages, want) {
		t.Fatalf("packages %v, want %v", b.Packages, want)
	}
	if b.Listed != 7 {
		t.Fatalf("listed %d", b.Listed)
	}
}

func TestInspectPyodideNpmRuntimeHasNoPackages(t *testing.T) {
	b := InspectPyodide(fakeDistribution(fakeLock), false)
	if !b.Available || len(b.Packages) != 0 || b.Packages == nil {
		t.Fatalf("browser %+v", b)
	}
	e := pyodide(b)
	if !e.Available || e.Languages[0].Version != "3.14.2" || e.Runtime != "pyodide 314.0.7" {
		t.Fatalf("environment %+v", e)
	}
	if !slices.ContainsFunc(e.Limitations, func(l string) bool { return strings.Contains(l, "Standard library only") }) {
		t.Fatalf("limitations don't say that no packages are served: %q", e.Limitations)
	}
}

func TestInspectPyodideMissingRuntime(t *testing.T) {
	fsys := fakeDistribution(fakeLock)
	delete(fsys, "pyodide.asm.wasm")
	b := InspectPyodide(fsys, false)
	if b.Available || !strings.Contains(b.Why, "pyodide.asm.wasm") {
		t.Fatalf("browser %+v", b)
	}
	e := pyodide(b)
	if e.Available || !strings.Contains(e.Limitations[0], "pyodide.asm.wasm") {
		t.Fatalf("environment %+v", e)
	}
	if b := InspectPyodide(fstest.MapFS{}, false); b.Available {
		t.Fatalf("empty dir is available: %+v", b)
	}
	broken := fakeDistribution("{not json")
	if b := InspectPyodide(broken, false); b.Available || !strings.Contains(b.Why, "pyodide-lock.json") {
		t.Fatalf("broken lock: %+v", b)
	}
}

func TestCatalogReportsBrowser(t *testing.T) {
	c := New(&probeRuntime{}, func(context.Context) sandbox.Report { return sandbox.Report{Strong: true} }, "bwrap",
		lang.Set{}, sandbox.Limits{})
	if envs := c.Environments(context.Background()); envs[0].ID != "pyodide" || envs[0].Available {
		t.Fatalf("without a runtime: %+v", envs[0])
	}
	c.WithBrowser(InspectPyodide(fakeDistribution(fakeLock, "six-1.17.0-py2.py3-none-any.whl"), true))
	e := c.Environments(context.Background())[0]
	if !e.Available || !slices.Equal(e.Packages, []string{"six==1.17.0"}) {
		t.Fatalf("with a runtime: %+v", e)
	}
}
