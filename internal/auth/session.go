package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// SessionCookie carries an anonymous browser's signed session: without it,
// everyone behind one address (a school, a NAT) would be one user and see
// and cancel each other's runs.
const SessionCookie = "runblock_anon"

// MinSessionKeyBytes is the shortest session key accepted: as long as the
// HMAC-SHA256 output, like HS256 secrets.
const MinSessionKeyBytes = 32

// sessionMaxAge keeps a browser's history across restarts of the browser.
const sessionMaxAge = 180 * 24 * time.Hour

// sessionPrefix marks session identities: "anon:s:<id>". Client addresses
// never start with "s:", so a session can't collide with an address id.
const sessionPrefix = anonPrefix + "s:"

// sessions signs and verifies session cookies: "<id>.<HMAC-SHA256(id)>",
// both base64url. The id is random; the MAC makes it unforgeable, so a
// browser can only be the session it was given.
type sessions struct{ key []byte }

func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *sessions) mac(id string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("runblock anonymous session\x00"))
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *sessions) value(id string) string { return id + "." + s.mac(id) }

// verify returns the id of a well-formed, correctly signed cookie value.
func (s *sessions) verify(v string) (string, bool) {
	id, sig, ok := strings.Cut(v, ".")
	if !ok || len(id) != 22 || len(sig) != 43 {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(id); err != nil {
		return "", false
	}
	if !hmac.Equal([]byte(sig), []byte(s.mac(id))) {
		return "", false
	}
	return id, true
}

// fromRequest returns the session of a valid cookie (the last one sent
// when there are several, as browsers send the most specific path first).
func (s *sessions) fromRequest(r *http.Request) (string, bool) {
	if id, ok := r.Context().Value(sessionCtxKey{}).(string); ok {
		return id, true
	}
	for _, c := range r.CookiesNamed(SessionCookie) {
		if id, ok := s.verify(c.Value); ok {
			return id, true
		}
	}
	return "", false
}

type sessionCtxKey struct{}

// Session makes sure an anonymous browser has a session. It returns r
// unchanged when the request has a token, anonymous access or sessions are
// off, or the request carries a valid session cookie. Otherwise (no cookie,
// or a forged or stale one) it issues a new session with Set-Cookie on w
// and returns r carrying it, so this very request is already that session.
func (a *Authenticator) Session(w http.ResponseWriter, r *http.Request) *http.Request {
	if a.sessions == nil || !a.allowAnonymous || r.Header.Get("Authorization") != "" {
		return r
	}
	if _, ok := a.sessions.fromRequest(r); ok {
		return r
	}
	id := newSessionID()
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: a.sessions.value(id), Path: "/",
		MaxAge: int(sessionMaxAge / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: a.overTLS(r),
	})
	return r.WithContext(context.WithValue(r.Context(), sessionCtxKey{}, id))
}

// overTLS: the request reached us over TLS, directly or (said by a trusted
// proxy) at the proxy.
func (a *Authenticator) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer, ok := parseAddr(r.RemoteAddr)
	return ok && isTrusted(peer, a.trusted) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// anonymous is the identity of a caller without a token: its own session
// for ownership (runs, history, input, cancel) when sessions are on, and
// always its address for quotas, so dropping the cookie gains nothing.
func (a *Authenticator) anonymous(r *http.Request) Identity {
	id := Identity{UserID: anonPrefix + ClientIP(r, a.trusted), Role: RoleAnonymous, Anonymous: true}
	if a.sessions != nil {
		id.QuotaKey = id.UserID
		sid, ok := a.sessions.fromRequest(r)
		if !ok {
			// Session was not called (a caller outside the HTTP
			// middleware): a session of its own rather than the address's.
			sid = newSessionID()
		}
		id.UserID = sessionPrefix + sid
	}
	return id
}

func checkSessionKey(key []byte) error {
	if len(key) > 0 && len(key) < MinSessionKeyBytes {
		return fmt.Errorf("auth: config: SessionKey must be at least %d bytes, got %d", MinSessionKeyBytes, len(key))
	}
	return nil
}
