package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"path"
	"strings"
)

// file is one embedded file, ready to send.
type file struct {
	body        []byte
	gzip        []byte // nil when not worth compressing
	etag        string // quoted strong validator of body
	contentType string
}

// types are set explicitly rather than taken from the host's mime tables,
// which differ between machines (and lack application/wasm on some).
// WebAssembly.instantiateStreaming refuses anything but application/wasm.
var types = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".wasm":  "application/wasm",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".webp":  "image/webp",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".txt":   "text/plain; charset=utf-8",
	".zip":   "application/zip",
	".whl":   "application/zip",
	".tar":   "application/x-tar",
}

// compressible types are sent gzip-compressed to clients that accept it.
// Zip archives and images are compressed already.
var compressible = map[string]bool{
	".html": true, ".js": true, ".mjs": true, ".css": true, ".json": true, ".map": true,
	".wasm": true, ".svg": true, ".txt": true, ".tar": true,
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := types[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func newFile(name string, data []byte) *file {
	sum := sha256.Sum256(data)
	f := &file{body: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: contentType(name)}
	if compressible[strings.ToLower(path.Ext(name))] && len(data) >= 512 {
		var buf bytes.Buffer
		// Best compression for the page's own files; Pyodide's large
		// runtime would take seconds at that level on first request.
		level := gzip.BestCompression
		if len(data) > 1<<20 {
			level = gzip.DefaultCompression
		}
		zw, _ := gzip.NewWriterLevel(&buf, level)
		_, _ = zw.Write(data)
		_ = zw.Close()
		// Only when it saves something worth the client's CPU.
		if buf.Len() < len(data)*9/10 {
			f.gzip = buf.Bytes()
		}
	}
	return f
}
