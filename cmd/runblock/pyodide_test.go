package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestServePyodideDir: `serve --pyodide-dir` (browser.pyodide_dir) serves an
// operator's Pyodide distribution as /pyodide/ and GET /environments lists
// exactly the packages whose wheels are there.
func TestServePyodideDir(t *testing.T) {
	dir := t.TempDir()
	lock := `{"info": {"python": "3.14.2"}, "packages": {
	  "six": {"name": "six", "version": "1.17.0", "file_name": "six-1.17.0-py2.py3-none-any.whl", "depends": [], "imports": ["six"]},
	  "numpy": {"name": "numpy", "version": "2.4.6", "file_name": "numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "depends": [], "imports": ["numpy"]}}}`
	for name, data := range map[string]string{
		"pyodide.mjs": "export {}", "pyodide.asm.mjs": "export {}", "pyodide.asm.wasm": "\x00asm", "python_stdlib.zip": "PK",
		"pyodide-lock.json": lock, "package.json": `{"version": "314.0.7"}`,
		"six-1.17.0-py2.py3-none-any.whl": "PK\x03\x04six",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ts := startServer(t, map[string]string{"RUNBLOCK_PYODIDE_DIR": dir})
	r, m := histDo(t, "GET", ts.URL+"/api/v1/code/environments", "", "")
	if r.StatusCode != 200 {
		t.Fatalf("environments: %d %v", r.StatusCode, m)
	}
	var py map[string]any
	for _, e := range m["environments"].([]any) {
		if e.(map[string]any)["id"] == "pyodide" {
			py = e.(map[string]any)
		}
	}
	valExpect(t, "pyodide", py, mustJSON(map[string]any{
		"available": true, "packages": []string{"six==1.17.0"}, "runtime": "pyodide 314.0.7",
		"languages": []any{map[string]any{"name": "python", "version": "3.14.2"}},
	}))
	resp, err := http.Get(ts.URL + "/pyodide/six-1.17.0-py2.py3-none-any.whl")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "PK\x03\x04six" || resp.Header.Get("Cross-Origin-Resource-Policy") == "" {
		t.Fatalf("wheel: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	resp, err = http.Get(ts.URL + "/pyodide/numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("missing wheel: %d", resp.StatusCode)
	}
}

// TestServePyodideDirMustHoldARuntime: a typo in the setting stops start-up
// with the reason, instead of a page that silently can't load Python.
func TestServePyodideDirMustHoldARuntime(t *testing.T) {
	for name, dir := range map[string]string{"missing": filepath.Join(t.TempDir(), "nope"), "empty": t.TempDir()} {
		var stderr strings.Builder
		err := run(t.Context(), []string{"runblock", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--content-dir", "../../content",
			"--allow-anonymous", "--pyodide-dir", dir}, func(string) string { return "" }, strings.NewReader(""), io.Discard, &stderr)
		if err == nil || !slices.ContainsFunc([]string{err.Error(), stderr.String()}, func(s string) bool { return strings.Contains(s, "pyodide_dir") }) {
			t.Errorf("%s: err %v, stderr %q", name, err, stderr.String())
		}
	}
}
