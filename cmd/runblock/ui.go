package main

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"

	"github.com/runblock/runblock/internal/catalog"
	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/webui"
	"github.com/runblock/runblock/web"
)

// newUI serves the page embedded at build time, and Pyodide from the
// embedded runtime or the operator's distribution (browser.pyodide_dir).
// It also says what that Pyodide offers, for GET /environments.
func newUI(cfg config.Config, log *slog.Logger) (http.Handler, catalog.Browser, error) {
	dist, err := fs.Sub(web.Dist, "dist")
	if err != nil {
		return nil, catalog.Browser{}, fmt.Errorf("embedded UI: %w", err)
	}
	h := webui.New(dist)
	if !h.Built() {
		log.Warn("this binary has no UI: pages answer \"UI not built: run make ui\"; the API works")
	}
	embedded, _ := fs.Sub(dist, "pyodide")
	// The page preloads Python right after it loads: have the runtime
	// compressed by then.
	warm := func() {
		h.WarmOnFirstPage("pyodide/pyodide.asm.wasm", "pyodide/pyodide.asm.mjs", "pyodide/pyodide-lock.json", "pyodide/pyodide.mjs")
	}
	if cfg.Browser.PyodideDir == "" {
		warm()
		return h, catalog.InspectPyodide(embedded, false), nil
	}
	fi, err := os.Stat(cfg.Browser.PyodideDir)
	if err != nil || !fi.IsDir() {
		return nil, catalog.Browser{}, fmt.Errorf("browser.pyodide_dir %q: not a directory", cfg.Browser.PyodideDir)
	}
	dir := os.DirFS(cfg.Browser.PyodideDir)
	b := catalog.InspectPyodide(dir, true)
	if !b.Available {
		return nil, catalog.Browser{}, fmt.Errorf("browser.pyodide_dir %q: %s", cfg.Browser.PyodideDir, b.Why)
	}
	// The page's worker is written against the embedded version's API.
	if want := catalog.InspectPyodide(embedded, false); want.Available && want.Version != b.Version {
		log.Warn("browser.pyodide_dir holds a different Pyodide version than the page was built with; browser runs may fail",
			"dir_version", b.Version, "built_with", want.Version)
	}
	log.Info("serving Pyodide from browser.pyodide_dir", "dir", cfg.Browser.PyodideDir, "version", b.Version, "packages", len(b.Packages))
	h.WithPyodideDir(dir)
	warm()
	return h, b, nil
}
