package httpapi

import (
	"net/http"

	"github.com/runblock/runblock/internal/openapi"
)

// handleOpenAPI serves the API contract. It needs no identity: the document
// describes the API, not anyone's data.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	doc, err := openapi.JSON()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(doc)
}
