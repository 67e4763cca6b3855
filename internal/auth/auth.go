// Package auth tells runblock who is calling. The learning platform owns
// logins and issues JWTs; runblock only verifies them, and optionally lets
// callers without a token in as anonymous users: each browser its own
// signed session, rate-limited per client address.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Role is what a caller may do.
type Role string

const (
	RoleAnonymous Role = "anonymous"
	RoleUser      Role = "user"
	RoleService   Role = "service" // a trusted backend service
	RoleAuthor    Role = "author"  // content authors; may see per-block aggregates
)

// Identity is the authenticated caller. UserID is stable per user (per
// browser session for anonymous callers) and is what ownership is keyed on;
// quotas are keyed on QuotaKey, which differs for anonymous callers (their
// address) and is UserID when empty.
type Identity struct {
	UserID    string
	QuotaKey  string
	Role      Role
	Anonymous bool
}

var (
	// ErrNoCredentials: no Authorization header and anonymous access is off.
	ErrNoCredentials = errors.New("auth: no credentials")
	// ErrInvalidToken: a token was sent but cannot be trusted. The wrapped
	// error says why (expired, wrong issuer, ...).
	ErrInvalidToken = errors.New("auth: invalid token")
)

// anonPrefix marks anonymous ids; tokens may not use it so a signed-in
// user can never share an anonymous caller's quota or runs.
const anonPrefix = "anon:"

// maxTokenBytes bounds work done on hostile headers; real tokens are ~1 KB.
const maxTokenBytes = 8 << 10

// Authenticator verifies requests. Safe for concurrent use.
type Authenticator struct {
	keys           keySet
	parser         *jwt.Parser
	roleClaim      string
	allowAnonymous bool
	trusted        []netip.Prefix
	sessions       *sessions // nil: anonymous callers are told apart by address only
}

// New validates cfg and prepares the keys. ctx bounds the JWKS background
// refresh: cancel it when the server stops.
func New(ctx context.Context, cfg Config) (*Authenticator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	trusted, err := ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	keys, err := loadKeys(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opts := []jwt.ParserOption{
		// Only algorithms we hold a key for: this is what stops "alg: none"
		// and HS256-signed-with-the-RSA-public-key confusion.
		jwt.WithValidMethods(keys.methods()),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithExpirationRequired(),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	roleClaim := cfg.RoleClaim
	if roleClaim == "" {
		roleClaim = "role"
	}
	a := &Authenticator{
		keys:           keys,
		parser:         jwt.NewParser(opts...),
		roleClaim:      roleClaim,
		allowAnonymous: cfg.AllowAnonymous,
		trusted:        trusted,
	}
	if len(cfg.SessionKey) > 0 {
		a.sessions = &sessions{key: append([]byte(nil), cfg.SessionKey...)}
	}
	return a, nil
}

// Authenticate returns the caller's identity. A bad token is always an
// error, even when anonymous access is allowed: silently downgrading would
// hide broken platform integrations and let a forged token pass as a guest.
func (a *Authenticator) Authenticate(r *http.Request) (Identity, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		if !a.allowAnonymous {
			return Identity{}, ErrNoCredentials
		}
		return a.anonymous(r), nil
	}
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Identity{}, fmt.Errorf("%w: Authorization header is not \"Bearer <token>\"", ErrInvalidToken)
	}
	if len(token) > maxTokenBytes {
		return Identity{}, fmt.Errorf("%w: token longer than %d bytes", ErrInvalidToken, maxTokenBytes)
	}
	if len(a.keys.methods()) == 0 {
		return Identity{}, fmt.Errorf("%w: no verification key configured", ErrInvalidToken)
	}
	return a.verify(r.Context(), token)
}

func (a *Authenticator) verify(ctx context.Context, raw string) (Identity, error) {
	claims := jwt.MapClaims{}
	if _, err := a.parser.ParseWithClaims(raw, claims, a.keys.keyfunc(ctx)); err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	sub, err := claims.GetSubject()
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	switch {
	case strings.TrimSpace(sub) == "":
		return Identity{}, fmt.Errorf("%w: missing sub claim", ErrInvalidToken)
	case strings.HasPrefix(sub, anonPrefix):
		return Identity{}, fmt.Errorf("%w: sub uses the reserved prefix %q", ErrInvalidToken, anonPrefix)
	}
	return Identity{UserID: sub, Role: roleFrom(claims[a.roleClaim])}, nil
}

// roleFrom maps the platform's claim onto our roles. Anything unknown,
// including "anonymous", is an ordinary user: a token always means a
// signed-in caller, and new platform roles must not gain privileges here.
func roleFrom(v any) Role {
	s, _ := v.(string)
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleService, RoleAuthor:
		return r
	default:
		return RoleUser
	}
}
