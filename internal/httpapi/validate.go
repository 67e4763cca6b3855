package httpapi

import (
	"net/http"
	"strings"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/validate"
)

type validateRequest struct {
	Code     string `json:"code"`
	Language string `json:"language"`
	Policy   string `json:"policy"`
	Stdin    *bool  `json:"stdin"` // the run will get input (silences the input() warning)
}

// handleValidate checks code without running it: syntax (CPython's own
// parser, in the sandbox) and the configured policy.
func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	who, err := s.identify(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.Validator == nil {
		s.writeError(w, r, apperr.New(apperr.NotFound, "not_found", "validation is not configured"))
		return
	}
	var req validateRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	// Same as /execute: blank code is empty, and language names are not
	// case-sensitive ("C" runs, so it validates too).
	if err := execute.CheckCodeText(req.Code); err != nil {
		s.writeError(w, r, err)
		return
	}
	// Through the service: a check is counted (check quota) and admitted
	// (a sandbox slot) like a run.
	res, quota, err := s.Exec.Check(r.Context(), caller(who), s.Validator, validate.Request{
		Code: req.Code, Language: strings.ToLower(req.Language), Policy: req.Policy, HasStdin: req.Stdin != nil && *req.Stdin,
	})
	setHeaders(w, execute.QuotaHeaders(quota))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
