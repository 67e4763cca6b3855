package httpapi

import (
	"math"
	"net/http"

	"github.com/runblock/runblock/internal/apperr"
)

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// queueBody is the admission queue as /readyz reports it: each replica's
// queue is fair on its own, so an autoscaler adds replicas from these.
type queueBody struct {
	Slots      int     `json:"slots"`
	Running    int     `json:"running"`
	Waiting    int     `json:"waiting"`
	DrainRate  float64 `json:"drain_rate"`  // runs per second with every slot busy
	RetryAfter float64 `json:"retry_after"` // seconds a run refused now would be told to wait
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	st := s.Exec.Queue()
	body := map[string]any{"running": st.Running, "waiting": st.Waiting, "queue": queueBody{
		Slots: st.Slots, Running: st.Running, Waiting: st.Waiting,
		DrainRate: math.Round(st.DrainRate*100) / 100, RetryAfter: math.Ceil(st.RetryAfter.Seconds()),
	}}
	var degraded []string
	if s.Ready != nil {
		var err error
		if degraded, err = s.Ready(r.Context()); err != nil {
			body["status"], body["error"] = "unavailable", err.Error()
			writeJSON(w, http.StatusServiceUnavailable, body)
			return
		}
	}
	if len(degraded) > 0 {
		body["status"], body["warnings"] = "degraded", degraded
		writeJSON(w, http.StatusOK, body)
		return
	}
	body["status"] = "ready"
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, apperr.New(apperr.NotFound, "not_found", "no such endpoint: %s %s", r.Method, r.URL.Path))
}
