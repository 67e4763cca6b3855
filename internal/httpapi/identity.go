package httpapi

import (
	"errors"
	"net/http"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/auth"
)

// identify returns the caller. Without an Authenticator every caller is
// one anonymous user (single-user development setups).
func (s *Server) identify(r *http.Request) (auth.Identity, error) {
	if s.Auth == nil {
		return auth.Identity{UserID: "anonymous", Role: auth.RoleAnonymous, Anonymous: true}, nil
	}
	id, err := s.Auth.Authenticate(r)
	switch {
	case err == nil:
		return id, nil
	case errors.Is(err, auth.ErrNoCredentials):
		return id, &apperr.Error{Kind: apperr.Unauthorized, Code: "unauthorized", Message: "sign in: send Authorization: Bearer <token>", Err: err}
	case errors.Is(err, auth.ErrInvalidToken):
		return id, &apperr.Error{Kind: apperr.Unauthorized, Code: "invalid_token", Message: err.Error()}
	}
	return id, err
}

// identifyAndDecode is the prologue of every handler that takes a body:
// who is calling, then the JSON request. false means an error was answered.
func (s *Server) identifyAndDecode(w http.ResponseWriter, r *http.Request, dst any) (auth.Identity, bool) {
	who, err := s.identify(r)
	if err == nil {
		err = s.decodeJSON(w, r, dst)
	}
	if err != nil {
		s.writeError(w, r, err)
		return who, false
	}
	return who, true
}
