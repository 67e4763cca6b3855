package httpapi

import (
	"net/http"

	"github.com/runblock/runblock/internal/apperr"
)

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	running, waiting := s.Exec.Busy()
	var degraded []string
	if s.Ready != nil {
		var err error
		if degraded, err = s.Ready(r.Context()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "error": err.Error(), "running": running, "waiting": waiting})
			return
		}
	}
	if len(degraded) > 0 {
		writeJSON(w, http.StatusOK, map[string]any{"status": "degraded", "warnings": degraded, "running": running, "waiting": waiting})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "running": running, "waiting": waiting})
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, apperr.New(apperr.NotFound, "not_found", "no such endpoint: %s %s", r.Method, r.URL.Path))
}
