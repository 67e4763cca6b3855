// Package webui serves the learner's page: the Vite build embedded in the
// binary. It knows nothing about the API; the API's middleware wraps it,
// so the cross-origin isolation headers are the same on every response.
package webui

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"
)

// CSP is the page's Content-Security-Policy. No inline script; WebAssembly
// compilation for Pyodide; inline styles because CodeMirror injects <style>
// elements; nothing from another origin.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

// Cache policies. Vite puts a content hash in every name under assets/,
// so those never change; Pyodide's files keep their names across versions,
// so they are cached long but revalidated by ETag after a week; everything
// else is revalidated on every use.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheLong      = "public, max-age=604800"
	cacheNoCache   = "no-cache"
	// embed.js keeps its name (host pages link to it), so it is cached
	// briefly: a new release reaches host pages within five minutes, and
	// its hashed chunks under embed-assets/ are immutable.
	cacheEmbed = "public, max-age=300"
)

// Handler serves the page, its assets and Pyodide's files from dist (the
// root of a Vite build: index.html, assets/, pyodide/...).
type Handler struct {
	dist  fs.FS
	built bool
	files sync.Map // path -> *entry, for files that exist
	// pyodide, when set, is an operator's Pyodide distribution served as
	// /pyodide/ instead of the runtime embedded in dist.
	pyodide  *diskDir
	warm     []string
	warmOnce sync.Once
}

// New returns a handler for dist. Without dist/index.html every page says
// how to build the UI.
func New(dist fs.FS) *Handler {
	fi, err := fs.Stat(dist, "index.html")
	return &Handler{dist: dist, built: err == nil && fi.Mode().IsRegular()}
}

// WarmOnFirstPage has the first page request read and compress the named
// files in the background, so the browser's fetch of them moments later
// doesn't wait for it (Pyodide's wasm takes a second or more). Not at
// start-up: a server that never serves a page never pays for it.
func (h *Handler) WarmOnFirstPage(names ...string) *Handler {
	h.warm = names
	return h
}

// Warm reads and compresses the named files now. Missing files are skipped.
func (h *Handler) Warm(names ...string) {
	for _, n := range names {
		if h.pyodide != nil && strings.HasPrefix(n, "pyodide/") {
			_, _ = load(h.pyodide.fsys, &h.pyodide.files, strings.TrimPrefix(n, "pyodide/"))
			continue
		}
		_, _ = load(h.dist, &h.files, n)
	}
}

// Built reports whether dist holds a built UI.
func (h *Handler) Built() bool { return h.built }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.htmlPage(w, r, http.StatusMethodNotAllowed, "Method not allowed", "Pages answer GET and HEAD only.")
		return
	}
	p := r.URL.Path
	switch {
	case p == "/" || p == "/index.html" || strings.HasPrefix(p, "/lessons/") && len(p) > len("/lessons/"):
		h.servePage(w, r)
	case p == "/lessons" || p == "/lessons/":
		http.Redirect(w, r, "/", http.StatusFound)
	case p == "/embed.js":
		crossOriginScript(w)
		h.serveFile(w, r, "embed.js", cacheEmbed, true)
	case strings.HasPrefix(p, "/embed-assets/"):
		crossOriginScript(w)
		h.serveFile(w, r, p[1:], cacheImmutable, true)
	case strings.HasPrefix(p, "/assets/"):
		h.serveFile(w, r, p[1:], cacheImmutable, true)
	case strings.HasPrefix(p, "/pyodide/") && h.pyodide != nil:
		h.pyodide.serve(w, r, p[len("/pyodide/"):])
	case strings.HasPrefix(p, "/pyodide/"):
		h.serveFile(w, r, p[1:], cacheLong, true)
	case strings.Count(p, "/") == 1 && h.isFile(p[1:]):
		h.serveFile(w, r, p[1:], cacheNoCache, false)
	default:
		h.htmlPage(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
	}
}

// crossOriginScript lets pages of any origin load the embed script and its
// chunks: module scripts are fetched in CORS mode (so they need
// Access-Control-Allow-Origin), and a host page that is itself cross-origin
// isolated (COEP require-corp) also needs CORP cross-origin. These files
// are public and taken without credentials, so "*" is right whatever the
// API's own CORS settings are.
func crossOriginScript(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Del("Access-Control-Allow-Credentials")
}

// servePage answers every route of the single-page app with index.html;
// the client reads location.pathname.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	if !h.built {
		w.Header().Set("Cache-Control", "no-store")
		h.htmlPage(w, r, http.StatusServiceUnavailable, "UI not built: run make ui",
			"This binary was built without the learner's page. Run <code>make ui</code> (or <code>make run</code>) and rebuild; the API under /api/v1/ works meanwhile.")
		return
	}
	w.Header().Set("Content-Security-Policy", CSP)
	h.warmOnce.Do(func() {
		if len(h.warm) > 0 {
			go h.Warm(h.warm...)
		}
	})
	h.serveFile(w, r, "index.html", cacheNoCache, false)
}

// isFile reports whether name is a regular, non-hidden file in dist.
func (h *Handler) isFile(name string) bool {
	if !validName(name) {
		return false
	}
	fi, err := fs.Stat(h.dist, name)
	return err == nil && fi.Mode().IsRegular()
}

// validName accepts only plain relative paths without hidden elements,
// so nothing can climb out of dist or reach dotfiles (dist/.keep).
func validName(name string) bool {
	if !fs.ValidPath(name) || name == "." || strings.Contains(name, "\\") {
		return false
	}
	for el := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(el, ".") {
			return false
		}
	}
	return true
}

func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, name, cache string, jsonNotFound bool) {
	f, err := load(h.dist, &h.files, name)
	if err != nil {
		if jsonNotFound {
			notFoundJSON(w, r)
		} else {
			h.htmlPage(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
		}
		return
	}
	writeFile(w, r, f, cache)
}

// writeFile sends f, compressed when the client takes gzip and it helps.
func writeFile(w http.ResponseWriter, r *http.Request, f *file, cache string) {
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	hd.Set("Cache-Control", cache)
	body, etag := f.body, f.etag
	if f.gzip != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			hd.Set("Content-Encoding", "gzip")
			body, etag = f.gzip, f.etag[:len(f.etag)-1]+`-gz"`
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip is a plain check of Accept-Encoding: browsers send "gzip"
// with or without a q-value, and "gzip;q=0" is vanishingly rare.
func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(params, " ", "") != "q=0"
		}
	}
	return false
}

// load returns the file, reading and compressing it on first use.
// Embedded files never change, so this is done once per file; only files
// that exist get an entry, so probing for missing names costs no memory.
func load(dist fs.FS, files *sync.Map, name string) (*file, error) {
	if !validName(name) {
		return nil, fs.ErrNotExist
	}
	v, ok := files.Load(name)
	if !ok {
		fi, err := fs.Stat(dist, name)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fs.ErrNotExist
		}
		v, _ = files.LoadOrStore(name, &entry{})
	}
	e := v.(*entry)
	e.once.Do(func() {
		var data []byte
		if data, e.err = fs.ReadFile(dist, name); e.err == nil {
			e.f = newFile(name, data)
		}
	})
	return e.f, e.err
}

type entry struct {
	once sync.Once
	f    *file
	err  error
}

// htmlPage writes a small self-contained page (no script, no inline style)
// for errors and the not-built case.
func (h *Handler) htmlPage(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", CSP)
	if hd.Get("Cache-Control") == "" {
		hd.Set("Cache-Control", cacheNoCache)
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.WriteString(w, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"+
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"+
		"<title>"+title+" · runblock</title></head>\n<body><h1>"+title+"</h1>\n<p>"+message+"</p>\n"+
		"<p><a href=\"/\">Lessons</a></p></body></html>\n")
}

func notFoundJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", cacheNoCache)
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, `{"error":"no such file","code":"not_found"}`+"\n")
	}
}
