package webui_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/httpapi"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/webui"
)

// nopRuntime runs nothing: these tests never execute code.
type nopRuntime struct{}

func (nopRuntime) Run(context.Context, sandbox.Request) (sandbox.Result, error) {
	return sandbox.Result{Status: sandbox.StatusSuccess, Stage: sandbox.StageRun, WallTime: time.Millisecond}, nil
}

const indexHTML = `<!doctype html><html><head><script type="module" src="/assets/index-B4x9a1.js"></script></head><body><div id="root"></div></body></html>`

var appJS = strings.Repeat("console.log('runblock');\n", 200)

func fakeDist() fstest.MapFS {
	return fstest.MapFS{
		"index.html":                {Data: []byte(indexHTML)},
		"favicon.svg":               {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		".keep":                     {Data: nil},
		"assets/index-B4x9a1.js":    {Data: []byte(appJS)},
		"assets/index-C2.css":       {Data: []byte("body{margin:0}")},
		"assets/font-D3.woff2":      {Data: []byte("wOF2")},
		"assets/logo-E4.png":        {Data: []byte("\x89PNG")},
		"assets/nested/chunk-F5.js": {Data: []byte("export{}")},
		"pyodide/pyodide.asm.wasm":  {Data: []byte("\x00asm\x01\x00\x00\x00")},
		"pyodide/pyodide-lock.json": {Data: []byte(`{"packages":{}}`)},
		"pyodide/python_stdlib.zip": {Data: []byte("PK")},
		"pyodide/.hidden":           {Data: []byte("x")},
		"secret-dir/inner.txt":      {Data: []byte("not top-level")},
	}
}

// newServer mounts the UI in the real API server, as cmd/runblock does, so
// the tests see the middleware's headers too.
func newServer(t *testing.T, dist fstest.MapFS) http.Handler {
	t.Helper()
	svc, err := execute.New(nopRuntime{}, map[string]sandbox.Language{
		"python": {Name: "python", FileName: "main.py", Run: []string{"python3", "main.py"}},
	}, execute.Config{MaxTimeout: 30 * time.Second, MaxCodeBytes: 1 << 10, MaxStdinBytes: 1 << 10, MaxConcurrent: 1, MaxQueue: 1, QueueWait: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := httpapi.NewServer(httpapi.Deps{Exec: svc, UI: webui.New(dist)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type want struct {
	status      int
	contentType string
	cache       string
	csp         bool
	body        string // substring; "" checks nothing
	location    string
}

func TestServeBuiltUI(t *testing.T) {
	s := newServer(t, fakeDist())
	page := want{status: 200, contentType: "text/html; charset=utf-8", cache: "no-cache", csp: true, body: indexHTML}
	notFoundPage := want{status: 404, contentType: "text/html; charset=utf-8", cache: "no-cache", csp: true, body: "Page not found"}
	notFoundJSON := want{status: 404, contentType: "application/json; charset=utf-8", body: `"code":"not_found"`}
	immutable := "public, max-age=31536000, immutable"
	for _, tc := range []struct {
		method, path string
		want         want
	}{
		{"GET", "/", page},
		{"GET", "/index.html", page},
		{"GET", "/lessons/python-basics", page},
		{"GET", "/lessons/track/nested-lesson", page},
		{"GET", "/lessons/", want{status: 302, location: "/"}},
		{"GET", "/lessons", want{status: 302, location: "/"}},
		{"GET", "/assets/index-B4x9a1.js", want{status: 200, contentType: "text/javascript; charset=utf-8", cache: immutable, body: appJS}},
		{"GET", "/assets/index-C2.css", want{status: 200, contentType: "text/css; charset=utf-8", cache: immutable, body: "body{margin:0}"}},
		{"GET", "/assets/font-D3.woff2", want{status: 200, contentType: "font/woff2", cache: immutable}},
		{"GET", "/assets/logo-E4.png", want{status: 200, contentType: "image/png", cache: immutable}},
		{"GET", "/assets/nested/chunk-F5.js", want{status: 200, contentType: "text/javascript; charset=utf-8", cache: immutable}},
		{"GET", "/pyodide/pyodide.asm.wasm", want{status: 200, contentType: "application/wasm", cache: "public, max-age=604800", body: "\x00asm"}},
		{"GET", "/pyodide/pyodide-lock.json", want{status: 200, contentType: "application/json", cache: "public, max-age=604800"}},
		{"GET", "/pyodide/python_stdlib.zip", want{status: 200, contentType: "application/zip", cache: "public, max-age=604800"}},
		{"GET", "/favicon.svg", want{status: 200, contentType: "image/svg+xml", cache: "no-cache"}},
		{"GET", "/assets/missing-X.js", notFoundJSON},
		{"GET", "/assets/", notFoundJSON},
		{"GET", "/assets/nested", notFoundJSON},
		{"GET", "/pyodide/missing.wasm", notFoundJSON},
		{"GET", "/pyodide/.hidden", notFoundJSON},
		{"GET", "/.keep", notFoundPage},
		{"GET", "/secret-dir/inner.txt", notFoundPage},
		{"GET", "/secret-dir", notFoundPage},
		{"GET", "/nope", notFoundPage},
		{"GET", "/some/deep/path", notFoundPage},
		{"POST", "/", want{status: 405, contentType: "text/html; charset=utf-8", csp: true, cache: "no-cache"}},
		{"DELETE", "/assets/index-B4x9a1.js", want{status: 405, contentType: "text/html; charset=utf-8", csp: true, cache: "no-cache"}},
		// The API keeps its own answers.
		{"GET", "/api/v1/nope", want{status: 404, contentType: "application/json; charset=utf-8", body: `"code":"not_found"`}},
		{"GET", "/healthz", want{status: 200}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			check(t, rec, tc.want)
			if tc.method == "POST" || tc.method == "DELETE" {
				if a := rec.Header().Get("Allow"); a != "GET, HEAD" {
					t.Errorf("Allow %q", a)
				}
			}
		})
	}
}

func check(t *testing.T, rec *httptest.ResponseRecorder, w want) {
	t.Helper()
	h := rec.Header()
	if rec.Code != w.status {
		t.Fatalf("status %d, want %d: %s", rec.Code, w.status, rec.Body)
	}
	// Every response, pages included, keeps the isolation Pyodide needs.
	for k, v := range map[string]string{
		"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp",
		"Cross-Origin-Resource-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
	} {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if w.contentType != "" && h.Get("Content-Type") != w.contentType {
		t.Errorf("Content-Type %q, want %q", h.Get("Content-Type"), w.contentType)
	}
	if w.cache != "" && h.Get("Cache-Control") != w.cache {
		t.Errorf("Cache-Control %q, want %q", h.Get("Cache-Control"), w.cache)
	}
	if csp := h.Get("Content-Security-Policy"); w.csp != (csp != "") || w.csp && csp != webui.CSP {
		t.Errorf("Content-Security-Policy %q (want set: %v)", csp, w.csp)
	}
	if w.body != "" && !strings.Contains(rec.Body.String(), w.body) {
		t.Errorf("body lacks %q: %.200s", w.body, rec.Body)
	}
	if w.location != "" && h.Get("Location") != w.location {
		t.Errorf("Location %q, want %q", h.Get("Location"), w.location)
	}
}

// TestCSPIsStrict pins the parts of the policy the issue asks for.
func TestCSPIsStrict(t *testing.T) {
	for _, part := range []string{
		"script-src 'self' 'wasm-unsafe-eval';", "worker-src 'self';", "connect-src 'self';",
		"style-src 'self' 'unsafe-inline';", "img-src 'self' data: blob:;", "font-src 'self';",
		"object-src 'none';", "base-uri 'none';", "frame-ancestors 'self'",
	} {
		if !strings.Contains(webui.CSP, part) {
			t.Errorf("CSP lacks %q: %s", part, webui.CSP)
		}
	}
	if strings.Contains(webui.CSP, "unsafe-eval'") && !strings.Contains(webui.CSP, "wasm-unsafe-eval") ||
		strings.Count(webui.CSP, "unsafe-inline") != 1 {
		t.Errorf("CSP allows too much: %s", webui.CSP)
	}
}

// TestPathsCannotEscape calls the handler directly, without the mux's
// path cleaning, so the handler's own checks are what is tested.
func TestPathsCannotEscape(t *testing.T) {
	h := webui.New(fakeDist())
	for _, p := range []string{
		"/assets/../index.html", "/assets/../../etc/passwd", "/assets/./index-B4x9a1.js", "/assets//index-B4x9a1.js",
		`/assets/..\index.html`, `/assets\..\index.html`, "/pyodide/../.keep", "/assets/nested/../index-C2.css",
		"/..", "/../index.html", "/./favicon.svg", "//favicon.svg", "/assets/.", "/pyodide/",
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = p
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 404 {
			t.Errorf("%s: status %d, want 404 (%.80s)", p, rec.Code, rec.Body)
		}
	}
	// Through the server, encoded dots are decoded and cleaned by the mux;
	// what comes out must never be a file outside the asked-for directory.
	s := newServer(t, fakeDist())
	for _, p := range []string{"/assets/%2e%2e/index.html", "/assets/%2E%2E%2F.keep", "/pyodide/..%2f..%2f.keep", "/%2e%2e/%2e%2e/etc/passwd"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code == 200 && !strings.Contains(rec.Body.String(), indexHTML) || strings.Contains(rec.Body.String(), "root:") {
			t.Errorf("%s: status %d body %.80s", p, rec.Code, rec.Body)
		}
		if rec.Code == 200 && rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s: page without CSP", p)
		}
	}
}

func TestHeadAndConditionalAndGzip(t *testing.T) {
	s := newServer(t, fakeDist())
	do := func(method, path string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	for _, p := range []string{"/", "/lessons/x", "/assets/index-B4x9a1.js", "/pyodide/pyodide.asm.wasm"} {
		get, head := do("GET", p, nil), do("HEAD", p, nil)
		if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Type") != get.Header().Get("Content-Type") ||
			head.Header().Get("Content-Length") != get.Header().Get("Content-Length") || head.Header().Get("Cross-Origin-Embedder-Policy") == "" {
			t.Errorf("HEAD %s: %d %v (GET %v)", p, head.Code, head.Header(), get.Header())
		}
		etag := get.Header().Get("ETag")
		if etag == "" {
			t.Fatalf("GET %s: no ETag", p)
		}
		if rec := do("GET", p, map[string]string{"If-None-Match": etag}); rec.Code != 304 || rec.Body.Len() != 0 {
			t.Errorf("GET %s If-None-Match: %d", p, rec.Code)
		}
	}
	if rec := do("HEAD", "/nope", nil); rec.Code != 404 || rec.Body.Len() != 0 {
		t.Errorf("HEAD /nope: %d %q", rec.Code, rec.Body)
	}

	plain := do("GET", "/assets/index-B4x9a1.js", nil)
	gz := do("GET", "/assets/index-B4x9a1.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if plain.Header().Get("Content-Encoding") != "" || plain.Body.String() != appJS {
		t.Errorf("plain response encoded: %v", plain.Header())
	}
	if gz.Header().Get("Content-Encoding") != "gzip" || !slices.Contains(gz.Header().Values("Vary"), "Accept-Encoding") ||
		gz.Header().Get("ETag") == plain.Header().Get("ETag") || gz.Body.Len() >= len(appJS)/2 {
		t.Fatalf("gzip response: %v, %d bytes", gz.Header(), gz.Body.Len())
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); string(got) != appJS {
		t.Error("gzip body does not decompress to the file")
	}
	if rec := do("GET", "/assets/index-B4x9a1.js", map[string]string{"Accept-Encoding": "gzip;q=0"}); rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused")
	}
	// Tiny files are not worth compressing.
	if rec := do("GET", "/favicon.svg", map[string]string{"Accept-Encoding": "gzip"}); rec.Header().Get("Content-Encoding") != "" {
		t.Error("tiny file compressed")
	}
}

func TestNotBuilt(t *testing.T) {
	for name, dist := range map[string]fstest.MapFS{
		"empty":      {},
		"only .keep": {".keep": {}},
		"index dir":  {"index.html/x": {Data: []byte("x")}},
	} {
		t.Run(name, func(t *testing.T) {
			if webui.New(dist).Built() {
				t.Fatal("Built() on an unbuilt dist")
			}
			s := newServer(t, dist)
			for _, p := range []string{"/", "/lessons/python-basics"} {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
				check(t, rec, want{status: 503, contentType: "text/html; charset=utf-8", cache: "no-store", csp: true, body: "UI not built: run make ui"})
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest("GET", "/assets/index-B4x9a1.js", nil))
			check(t, rec, want{status: 404, contentType: "application/json; charset=utf-8"})
			rec = httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/code/stats", nil))
			if rec.Code != 200 {
				t.Errorf("API without UI: %d %s", rec.Code, rec.Body)
			}
		})
	}
}
