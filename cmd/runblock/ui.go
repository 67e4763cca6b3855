package main

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/runblock/runblock/internal/webui"
	"github.com/runblock/runblock/web"
)

// newUI serves the page embedded at build time.
func newUI(log *slog.Logger) (http.Handler, error) {
	dist, err := fs.Sub(web.Dist, "dist")
	if err != nil {
		return nil, fmt.Errorf("embedded UI: %w", err)
	}
	h := webui.New(dist)
	if !h.Built() {
		log.Warn("this binary has no UI: pages answer \"UI not built: run make ui\"; the API works")
	}
	return h, nil
}
