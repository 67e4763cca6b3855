package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/execute"
)

// sessionIssuer is an Authenticator that gives anonymous browsers a signed
// session (auth.Authenticator does).
type sessionIssuer interface {
	Session(w http.ResponseWriter, r *http.Request) *http.Request
}

// withSession lets an anonymous browser keep its session, or get one,
// before any handler identifies it.
func (s *Server) withSession(w http.ResponseWriter, r *http.Request) *http.Request {
	if si, ok := s.Auth.(sessionIssuer); ok && strings.HasPrefix(r.URL.Path, "/api/") {
		return si.Session(w, r)
	}
	return r
}

// caller is who the execute service meters and records.
func caller(id auth.Identity) execute.Caller {
	return execute.Caller{UserID: id.UserID, QuotaKey: id.QuotaKey, Role: id.Role}
}

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
