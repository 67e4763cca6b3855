package webui_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/httpapi"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/webui"
)

const embedJS = "import('./embed-assets/editor-A1.js');customElements.define('runblock-code',class extends HTMLElement{})\n"

func embedDist() fstest.MapFS {
	d := fakeDist()
	d["embed.js"] = &fstest.MapFile{Data: []byte(strings.Repeat(embedJS, 10))}
	d["embed-assets/editor-A1.js"] = &fstest.MapFile{Data: []byte("export const createEditor = () => {}\n")}
	return d
}

// newCORSServer is newServer with the API's CORS settings for a host page origin.
func newCORSServer(t *testing.T, dist fstest.MapFS, origins ...string) http.Handler {
	t.Helper()
	svc, err := execute.New(nopRuntime{}, map[string]sandbox.Language{
		"python": {Name: "python", FileName: "main.py", Run: []string{"python3", "main.py"}},
	}, execute.Config{MaxTimeout: 30 * time.Second, MaxCodeBytes: 1 << 10, MaxStdinBytes: 1 << 10, MaxConcurrent: 1, MaxQueue: 1, QueueWait: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := httpapi.NewServer(httpapi.Deps{Exec: svc, UI: webui.New(dist), CORS: httpapi.CORS{AllowedOrigins: origins}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A host page on another origin loads embed.js as a module script (CORS
// mode, no credentials), maybe while itself cross-origin isolated (then
// CORP must allow cross-origin). The lesson page's own files stay
// same-origin only.
func TestEmbedScriptLoadsCrossOrigin(t *testing.T) {
	for _, origins := range [][]string{nil, {"http://host.example"}} {
		s := newCORSServer(t, embedDist(), origins...)
		for _, tc := range []struct{ path, cache, body string }{
			{"/embed.js", "public, max-age=300", "runblock-code"},
			{"/embed-assets/editor-A1.js", "public, max-age=31536000, immutable", "createEditor"},
		} {
			req := httptest.NewRequest("GET", tc.path, nil)
			req.Header.Set("Origin", "http://host.example")
			req.Header.Set("Sec-Fetch-Mode", "cors")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			h := rec.Header()
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), tc.body) {
				t.Fatalf("%s: status %d body %.80q", tc.path, rec.Code, rec.Body)
			}
			for k, v := range map[string]string{
				"Content-Type":                 "text/javascript; charset=utf-8",
				"Cache-Control":                tc.cache,
				"Cross-Origin-Resource-Policy": "cross-origin",
				"Access-Control-Allow-Origin":  "*",
				"X-Content-Type-Options":       "nosniff",
			} {
				if got := h.Get(k); got != v {
					t.Errorf("%s (origins %v): %s = %q, want %q", tc.path, origins, k, got, v)
				}
			}
			if h.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("%s: credentials allowed for a public script", tc.path)
			}
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/embed-assets/missing.js", nil))
		if rec.Code != 404 {
			t.Errorf("missing chunk: status %d", rec.Code)
		}
		// Nothing else is opened up: the page's own assets stay same-origin.
		rec = httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/assets/index-B4x9a1.js", nil))
		if got := rec.Header().Get("Cross-Origin-Resource-Policy"); got != "same-origin" || rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("page asset: CORP %q, ACAO %q", got, rec.Header().Get("Access-Control-Allow-Origin"))
		}
	}
}

// The embed's API calls from a listed origin: JSON POSTs (run, stdin,
// cancel) with an optional bearer token need a preflight that allows
// Content-Type and Authorization; the SSE answer must expose its headers.
func TestEmbedAPICallsPassPreflight(t *testing.T) {
	const origin = "http://host.example"
	s := newCORSServer(t, embedDist(), origin)
	for _, p := range []string{"/api/v1/code/execute/stream", "/api/v1/code/executions/abc/stdin", "/api/v1/code/executions/abc/cancel"} {
		req := httptest.NewRequest("OPTIONS", p, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		h := rec.Header()
		if rec.Code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != origin {
			t.Fatalf("%s preflight: %d, ACAO %q", p, rec.Code, h.Get("Access-Control-Allow-Origin"))
		}
		allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
		for _, hd := range []string{"authorization", "content-type"} {
			if !strings.Contains(allowed, hd) {
				t.Errorf("%s: %s not in Allow-Headers %q", p, hd, allowed)
			}
		}
		if !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("%s: POST not allowed: %q", p, h.Get("Access-Control-Allow-Methods"))
		}
	}
	// An origin that is not listed gets no CORS answer at all.
	req := httptest.NewRequest("OPTIONS", "/api/v1/code/execute/stream", nil)
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unlisted origin allowed")
	}
}
