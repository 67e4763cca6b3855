package main

import (
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/webui"
	"github.com/runblock/runblock/web"
)

// TestServeWiresUI: `serve` answers pages from the embedded build, inside
// the API's middleware. Whether this binary has a UI build depends on
// `make ui` having run, so both answers are accepted, each checked fully.
func TestServeWiresUI(t *testing.T) {
	dist, err := fs.Sub(web.Dist, "dist")
	if err != nil {
		t.Fatal(err)
	}
	built := webui.New(dist).Built()
	ts := startServer(t, nil)
	for _, path := range []string{"/", "/lessons/python-basics"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		if h.Get("Content-Security-Policy") != webui.CSP || h.Get("Cross-Origin-Embedder-Policy") != "require-corp" ||
			h.Get("Cross-Origin-Opener-Policy") != "same-origin" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s headers: %v", path, h)
		}
		switch {
		case built && (resp.StatusCode != 200 || h.Get("Cache-Control") != "no-cache" || !strings.Contains(string(body), `<div id="root"`)):
			t.Errorf("GET %s (built): %d %v %.200s", path, resp.StatusCode, h, body)
		case !built && (resp.StatusCode != 503 || !strings.Contains(string(body), "UI not built: run make ui")):
			t.Errorf("GET %s (not built): %d %.200s", path, resp.StatusCode, body)
		}
	}
	resp, err := http.Get(ts.URL + "/api/v1/code/content/python-basics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("lesson API: %d", resp.StatusCode)
	}
}
