package webui_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/httpapi"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/webui"
)

// TestOperatorPyodideDir: with browser.pyodide_dir set, /pyodide/ comes from
// that directory (wheels included), not from the embedded runtime, with the
// same cache, MIME and isolation headers.
func TestOperatorPyodideDir(t *testing.T) {
	dir := t.TempDir()
	wheel := strings.Repeat("PK\x03\x04wheel", 100)
	for name, data := range map[string]string{
		"pyodide.asm.wasm":  "\x00asm-operator" + strings.Repeat("\x00", 2048),
		"pyodide-lock.json": `{"packages":{"numpy":{}}}`,
		"numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl": wheel,
		".secret": "x",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := execute.New(nopRuntime{}, map[string]sandbox.Language{
		"python": {Name: "python", FileName: "main.py", Run: []string{"python3", "main.py"}},
	}, execute.Config{MaxTimeout: 30e9, MaxCodeBytes: 1 << 10, MaxStdinBytes: 1 << 10, MaxConcurrent: 1, MaxQueue: 1, QueueWait: 1e9}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := httpapi.NewServer(httpapi.Deps{Exec: svc, UI: webui.New(fakeDist()).WithPyodideDir(os.DirFS(dir))})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	for _, c := range []struct{ path, ctype, body string }{
		{"/pyodide/pyodide.asm.wasm", "application/wasm", "\x00asm-operator"},
		{"/pyodide/pyodide-lock.json", "application/json", `"numpy"`},
		{"/pyodide/numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "application/zip", wheel},
	} {
		rec := get(c.path)
		h := rec.Header()
		if rec.Code != 200 || h.Get("Content-Type") != c.ctype || h.Get("Cache-Control") != "public, max-age=604800" ||
			h.Get("Cross-Origin-Embedder-Policy") != "require-corp" || h.Get("Cross-Origin-Opener-Policy") != "same-origin" ||
			h.Get("Cross-Origin-Resource-Policy") == "" || !strings.Contains(rec.Body.String(), c.body) {
			t.Errorf("GET %s: %d %v %.40q", c.path, rec.Code, h, rec.Body)
			continue
		}
		etag := h.Get("ETag")
		if etag == "" {
			t.Errorf("GET %s: no ETag", c.path)
		} else if r := get(c.path, "If-None-Match", etag); r.Code != http.StatusNotModified {
			t.Errorf("GET %s If-None-Match: %d", c.path, r.Code)
		}
	}
	// The wasm is worth compressing; the wheel already is.
	if rec := get("/pyodide/pyodide.asm.wasm", "Accept-Encoding", "gzip"); rec.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("wasm not compressed: %v", rec.Header())
	}
	if rec := get("/pyodide/numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "Range", "bytes=0-3"); rec.Code != http.StatusPartialContent || rec.Body.String() != "PK\x03\x04" {
		t.Errorf("range of a wheel: %d %q", rec.Code, rec.Body)
	}
	// The embedded runtime is not reachable any more, and nothing hidden or outside is.
	for _, p := range []string{"/pyodide/python_stdlib.zip", "/pyodide/.secret", "/pyodide/missing.whl", "/pyodide/..%2f..%2fetc%2fpasswd"} {
		if rec := get(p); rec.Code != 404 {
			t.Errorf("GET %s: %d", p, rec.Code)
		}
	}
	h := webui.New(fakeDist()).WithPyodideDir(os.DirFS(dir))
	for _, p := range []string{"/pyodide/../.keep", "/pyodide/.secret", "/pyodide/a/../../x"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = p
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 404 {
			t.Errorf("direct %s: %d", p, rec.Code)
		}
	}
}

// TestWarm: warming reads the files once up front; serving them afterwards
// gives the same bytes, from the embedded runtime or the operator's dir.
func TestWarm(t *testing.T) {
	h := webui.New(fakeDist())
	h.Warm("pyodide/pyodide.asm.wasm", "pyodide/missing.wasm", "../etc/passwd")
	req := httptest.NewRequest("GET", "/pyodide/pyodide.asm.wasm", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "\x00asm\x01\x00\x00\x00" {
		t.Fatalf("embedded after warm: %d %q", rec.Code, rec.Body)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pyodide.mjs"), []byte("export const v = 'operator'"), 0o644); err != nil {
		t.Fatal(err)
	}
	h = webui.New(fakeDist()).WithPyodideDir(os.DirFS(dir))
	h.Warm("pyodide/pyodide.mjs")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/pyodide/pyodide.mjs", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "operator") {
		t.Fatalf("operator after warm: %d %q", rec.Code, rec.Body)
	}
}
