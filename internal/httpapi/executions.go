package httpapi

import (
	"net/http"

	"github.com/runblock/runblock/internal/apperr"
)

type stdinRequest struct {
	Data string `json:"data"`
	EOF  bool   `json:"eof"`
}

// handleStdin feeds input to a running program: {"data": "Ada\n"}, and
// {"eof": true} to close its stdin.
func (s *Server) handleStdin(w http.ResponseWriter, r *http.Request) {
	var req stdinRequest
	who, ok := s.identifyAndDecode(w, r, &req)
	if !ok {
		return
	}
	if req.Data == "" && !req.EOF {
		s.writeError(w, r, apperr.New(apperr.Invalid, "empty_input", "send \"data\", \"eof\": true, or both"))
		return
	}
	if err := s.relayInput(r, r.PathValue("id"), who.UserID, []byte(req.Data), req.EOF); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"accepted": len(req.Data), "eof": req.EOF})
}

// handleCancel stops a running program and everything it started.
func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	who, err := s.identify(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.relayCancel(r, r.PathValue("id"), who.UserID); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "cancelling"})
}

// relayInput and relayCancel act on this replica's runs; a Relay (set when
// several replicas share Redis) forwards to the replica that holds the run.
func (s *Server) relayInput(r *http.Request, id, owner string, data []byte, eof bool) error {
	if s.Relay != nil && !s.Registry.Has(id) {
		return s.Relay.Input(r.Context(), id, owner, data, eof)
	}
	return s.Registry.Input(id, owner, data, eof)
}

func (s *Server) relayCancel(r *http.Request, id, owner string) error {
	if s.Relay != nil && !s.Registry.Has(id) {
		return s.Relay.Cancel(r.Context(), id, owner)
	}
	return s.Registry.Cancel(id, owner)
}
