package httpapi

import (
	"net/http"
	"regexp"
	"strconv"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/wasm"
)

// WasmModules finds compiled modules by their hash and counts compiles.
type WasmModules interface {
	ByHash(hash string) (wasm.Module, bool)
	Stats() (compiles, hits int64)
}

type wasmCompileRequest struct {
	Code     string `json:"code"`
	Language string `json:"language"`
}

type wasmCompileResponse struct {
	OK          bool              `json:"ok"`
	Hash        string            `json:"hash,omitempty"`
	URL         string            `json:"url,omitempty"`
	Size        int               `json:"size"`
	Cached      bool              `json:"cached"`
	Language    string            `json:"language"`
	Version     string            `json:"version,omitempty"`
	Status      sandbox.Status    `json:"status"`
	Error       *string           `json:"error"`
	Diagnostics []wasm.Diagnostic `json:"diagnostics"`
}

// handleWasmCompile compiles a block for the learner's browser: the page
// then fetches the module by hash and runs it in a worker.
func (s *Server) handleWasmCompile(w http.ResponseWriter, r *http.Request) {
	who, err := s.identify(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req wasmCompileRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, quota, err := s.Exec.CompileWasm(r.Context(), caller(who), req.Language, req.Code)
	setHeaders(w, execute.QuotaHeaders(quota))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp := wasmCompileResponse{
		OK: c.OK(), Hash: c.Module.Hash, Size: len(c.Module.Bytes), Cached: c.Cached,
		Language: req.Language, Version: c.Version, Status: sandbox.StatusSuccess,
		Diagnostics: c.Diagnostics,
	}
	if resp.Diagnostics == nil {
		resp.Diagnostics = []wasm.Diagnostic{}
	}
	if c.OK() {
		resp.URL = "/api/v1/wasm/" + c.Module.Hash
	} else {
		resp.Status = c.Result.Status
		msg := c.Stderr
		if msg == "" {
			msg = execute.FailureMessage(execute.Outcome{Result: c.Result, Limits: c.Result.Limits})
		}
		resp.Error = &msg
	}
	writeJSON(w, http.StatusOK, resp)
}

var wasmHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// handleWasmModule serves a module by its content hash: the bytes under a
// name never change, so browsers may keep it for good.
func (s *Server) handleWasmModule(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	if !wasmHash.MatchString(hash) {
		s.writeError(w, r, apperr.New(apperr.Invalid, "invalid_hash", "a module is named by the 64 hex digits of its SHA-256"))
		return
	}
	m, ok := s.Wasm.ByHash(hash)
	if !ok {
		s.writeError(w, r, apperr.New(apperr.NotFound, "module_not_found", "no module %s here (compile it again: the cache is bounded)", hash))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/wasm")
	h.Set("Content-Length", strconv.Itoa(len(m.Bytes)))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(m.Bytes)
	}
}
