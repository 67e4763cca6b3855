package webui

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

// diskDir serves an operator's Pyodide distribution (browser.pyodide_dir):
// the runtime plus hundreds of wheels. The runtime files are read and
// compressed once, like the embedded ones; wheels and other archives are
// already compressed and can be large, so they stream from disk.
type diskDir struct {
	fsys  fs.FS
	files sync.Map // runtime files, as in Handler.files
}

// WithPyodideDir serves /pyodide/ from dir instead of the embedded runtime.
// Files are read once: restart runblock after replacing the distribution.
func (h *Handler) WithPyodideDir(dir fs.FS) *Handler {
	h.pyodide = &diskDir{fsys: dir}
	return h
}

func (d *diskDir) serve(w http.ResponseWriter, r *http.Request, name string) {
	ext := strings.ToLower(path.Ext(name))
	if compressible[ext] {
		f, err := load(d.fsys, &d.files, name)
		if err != nil {
			notFoundJSON(w, r)
			return
		}
		writeFile(w, r, f, cacheLong)
		return
	}
	if !validName(name) {
		notFoundJSON(w, r)
		return
	}
	f, err := d.fsys.Open(name)
	if err != nil {
		notFoundJSON(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	rs, seekable := f.(io.ReadSeeker)
	if err != nil || !fi.Mode().IsRegular() || !seekable {
		notFoundJSON(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", contentType(name))
	hd.Set("Cache-Control", cacheLong)
	// Size and modification time change whenever the operator replaces a wheel.
	hd.Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixNano()))
	http.ServeContent(w, r, "", fi.ModTime(), rs)
}
