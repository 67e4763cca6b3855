package httpapi

import (
	"net/http"
	"strings"

	"github.com/runblock/runblock/internal/apperr"
)

func (s *Server) routes() {
	s.handle("POST /api/v1/code/execute", s.handleExecute)
	s.handle("POST /api/v1/code/execute/stream", s.handleStream)
	s.handle("POST /api/v1/code/validate", s.handleValidate)
	s.handle("POST /api/v1/code/executions/{id}/stdin", s.handleStdin)
	s.handle("POST /api/v1/code/executions/{id}/cancel", s.handleCancel)
	s.handle("GET /api/v1/code/stats", s.handleStats)
	if s.Environments != nil {
		s.handle("GET /api/v1/code/environments", s.handleEnvironments)
	}
	if s.Wasm != nil {
		// Not through handle: its catch-all for other methods would conflict
		// with the module route below.
		s.mux.HandleFunc("POST /api/v1/wasm/compile", s.handleWasmCompile)
		s.handle("GET /api/v1/wasm/{hash}", s.handleWasmModule)
	}
	if s.Store != nil {
		s.handle("GET /api/v1/code/executions", s.handleListExecutions)
		s.mux.HandleFunc("POST /api/v1/code/executions", s.handleReportExecution)
		s.handle("GET /api/v1/code/executions/{id}", s.handleGetExecution)
	}
	if s.Content != nil {
		s.handle("GET /api/v1/code/content", s.handleListContent)
		s.handle("GET /api/v1/code/code-blocks/{content_id...}", s.handleCodeBlocks)
		s.handle("GET /api/v1/code/content/{content_id...}", s.handleLesson)
		if s.Exercises != nil {
			s.handle("POST /api/v1/code/submit", s.handleSubmit)
			s.handle("POST /api/v1/code/submit/stream", s.handleSubmitStream)
			s.handle("GET /api/v1/code/exercises/stats/{content_id...}", s.handleExerciseStats)
		}
	}
	s.handle("GET /api/v1/openapi.json", s.handleOpenAPI)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.mux.HandleFunc("/api/", s.handleNotFound)
	if s.UI != nil {
		s.mux.Handle("/", s.UI)
	}
}

// handle registers "METHOD /path" and answers other methods on the same
// path with a JSON 405 (the mux's own 405 is plain text).
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
	method, path, _ := strings.Cut(pattern, " ")
	if path == "/api/v1/code/executions" {
		return // GET and POST are both taken
	}
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", method)
		s.writeError(w, r, apperr.New(apperr.MethodNotAllowed, "method_not_allowed", "%s %s is not supported; use %s", r.Method, r.URL.Path, method))
	})
}
