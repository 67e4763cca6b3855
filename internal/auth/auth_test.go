package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/runblock/runblock/internal/auth"
)

func newAuth(t *testing.T, cfg auth.Config) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return a
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func TestAuthenticate(t *testing.T) {
	keys(t)
	rsaPath, rsaPubPEM := publicPEM(t, &rsaKey.PublicKey)
	ecPath, _ := publicPEM(t, &ecKey.PublicKey)
	jwks := jwksServer(t)

	base := auth.Config{Issuer: issuer, Audience: audience}
	hs := base
	hs.HS256Secret, hs.Leeway = secret, 5*time.Second
	rs := base
	rs.PublicKeyFile = rsaPath
	es := base
	es.PublicKeyFile = ecPath
	// Both a secret and the RSA key: confusion must fail even when HS256
	// itself is an accepted algorithm.
	both := rs
	both.HS256Secret = secret
	js := base
	js.JWKSURL = jwks.URL + "/.well-known/jwks.json"
	anon := hs
	anon.AllowAnonymous = true
	anon.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.1"}
	anonOnly := auth.Config{AllowAnonymous: true}
	custom := hs
	custom.RoleClaim = "https://learn.example/role"

	A := func(cfg auth.Config) *auth.Authenticator { return newAuth(t, cfg) }
	hsA, rsA, esA, bothA, jsA, anonA, anonOnlyA, customA := A(hs), A(rs), A(es), A(both), A(js), A(anon), A(anonOnly), A(custom)

	hs256, rs256, es256 := jwt.SigningMethodHS256, jwt.SigningMethodRS256, jwt.SigningMethodES256
	user := func(id string, role auth.Role) auth.Identity { return auth.Identity{UserID: id, Role: role} }

	cases := []struct {
		name    string
		a       *auth.Authenticator
		remote  string
		setup   func(*http.Request)
		want    auth.Identity
		wantErr error // auth sentinel
		reason  error // jwt cause that must be wrapped too
	}{
		{name: "valid HS256", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), claims("u1"), "")), want: user("u1", auth.RoleUser)},
		{name: "lowercase scheme", a: hsA, setup: func(r *http.Request) {
			r.Header.Set("Authorization", "bearer "+sign(t, hs256, []byte(secret), claims("u1"), ""))
		}, want: user("u1", auth.RoleUser)},
		{name: "expired", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "exp", time.Now().Add(-time.Minute).Unix()), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenExpired},
		{name: "expired within leeway", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "exp", time.Now().Add(-2*time.Second).Unix()), "")),
			want: user("u1", auth.RoleUser)},
		{name: "no exp", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "exp", nil), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenRequiredClaimMissing},
		{name: "not yet valid", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "nbf", time.Now().Add(time.Minute).Unix()), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenNotValidYet},
		{name: "wrong secret", a: hsA, setup: bearer(sign(t, hs256, []byte("another-secret-of-at-least-32-bytes!!"), claims("u1"), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenSignatureInvalid},
		{name: "wrong issuer", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "iss", "https://evil.example"), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenInvalidIssuer},
		{name: "wrong audience", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "aud", "other-service"), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenInvalidAudience},
		{name: "audience list containing ours", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "aud", []string{"x", audience}), "")),
			want: user("u1", auth.RoleUser)},
		{name: "alg none", a: hsA, setup: bearer(sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims("u1"), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenSignatureInvalid},
		{name: "HS256 with RSA public key as secret, RS256 configured", a: rsA, setup: bearer(sign(t, hs256, rsaPubPEM, claims("u1"), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenSignatureInvalid},
		{name: "HS256 with RSA public key as secret, both configured", a: bothA, setup: bearer(sign(t, hs256, rsaPubPEM, claims("u1"), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenSignatureInvalid},
		{name: "RS256 token, only HS256 configured", a: hsA, setup: bearer(sign(t, rs256, rsaKey, claims("u1"), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenSignatureInvalid},
		{name: "missing sub", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims(""), "sub", nil), "")),
			wantErr: auth.ErrInvalidToken},
		{name: "empty sub", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), claims(""), "")),
			wantErr: auth.ErrInvalidToken},
		{name: "sub in anonymous namespace", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), claims("anon:203.0.113.9"), "")),
			wantErr: auth.ErrInvalidToken},
		{name: "RS256 valid with key file", a: rsA, setup: bearer(sign(t, rs256, rsaKey, claims("u2"), "")), want: user("u2", auth.RoleUser)},
		{name: "RS256 signed by another key", a: rsA, setup: bearer(sign(t, rs256, rsaOther, claims("u2"), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenSignatureInvalid},
		{name: "RS256 valid, both configured", a: bothA, setup: bearer(sign(t, rs256, rsaKey, claims("u2"), "")), want: user("u2", auth.RoleUser)},
		{name: "ES256 valid with key file", a: esA, setup: bearer(sign(t, es256, ecKey, claims("u3"), "")), want: user("u3", auth.RoleUser)},
		{name: "RS256 token, EC key configured", a: esA, setup: bearer(sign(t, rs256, rsaKey, claims("u3"), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenSignatureInvalid},
		{name: "JWKS RS256 valid", a: jsA, setup: bearer(sign(t, rs256, rsaKey, with(claims("u4"), "role", "author"), "rsa-1")), want: user("u4", auth.RoleAuthor)},
		{name: "JWKS ES256 valid", a: jsA, setup: bearer(sign(t, es256, ecKey, claims("u5"), "ec-1")), want: user("u5", auth.RoleUser)},
		{name: "JWKS valid without kid", a: jsA, setup: bearer(sign(t, rs256, rsaKey, claims("u6"), "")), want: user("u6", auth.RoleUser)},
		{name: "JWKS kid of a listed key, signed by another", a: jsA, setup: bearer(sign(t, rs256, rsaOther, claims("u4"), "rsa-1")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenSignatureInvalid},
		{name: "JWKS unknown kid", a: jsA, setup: bearer(sign(t, rs256, rsaOther, claims("u4"), "nope")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenUnverifiable},
		{name: "JWKS HS256 with RSA key as secret", a: jsA, setup: bearer(sign(t, hs256, rsaPubPEM, claims("u4"), "rsa-1")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenSignatureInvalid},

		{name: "anonymous allowed", a: anonA, remote: "198.51.100.7:4242",
			want: auth.Identity{UserID: "anon:198.51.100.7", Role: auth.RoleAnonymous, Anonymous: true}},
		{name: "anonymous allowed, IPv6 peer", a: anonOnlyA, remote: "[2001:db8::5]:4242",
			want: auth.Identity{UserID: "anon:2001:db8::5", Role: auth.RoleAnonymous, Anonymous: true}},
		{name: "anonymous not allowed", a: hsA, wantErr: auth.ErrNoCredentials},
		{name: "anonymous allowed but token invalid", a: anonA, setup: bearer("not.a.jwt"),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenMalformed},
		{name: "anonymous allowed but token expired", a: anonA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "exp", time.Now().Add(-time.Hour).Unix()), "")),
			wantErr: auth.ErrInvalidToken, reason: jwt.ErrTokenExpired},
		{name: "anonymous allowed but Basic auth", a: anonA, setup: func(r *http.Request) { r.SetBasicAuth("u", "p") },
			wantErr: auth.ErrInvalidToken},
		{name: "empty bearer", a: anonA, setup: func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") },
			wantErr: auth.ErrInvalidToken},
		{name: "anonymous only, token sent", a: anonOnlyA, setup: bearer(sign(t, hs256, []byte(secret), claims("u1"), "")),
			wantErr: auth.ErrInvalidToken},
		{name: "XFF from trusted proxy", a: anonA, remote: "10.1.2.3:5555", setup: xff("203.0.113.9, 10.0.0.7"),
			want: auth.Identity{UserID: "anon:203.0.113.9", Role: auth.RoleAnonymous, Anonymous: true}},
		{name: "XFF spoofed left of trusted chain", a: anonA, remote: "192.168.1.1:5555", setup: xff("6.6.6.6, 203.0.113.9"),
			want: auth.Identity{UserID: "anon:203.0.113.9", Role: auth.RoleAnonymous, Anonymous: true}},
		{name: "XFF from untrusted peer ignored", a: anonA, remote: "198.51.100.7:5555", setup: xff("203.0.113.9"),
			want: auth.Identity{UserID: "anon:198.51.100.7", Role: auth.RoleAnonymous, Anonymous: true}},

		{name: "role author", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("a1"), "role", "author"), "")), want: user("a1", auth.RoleAuthor)},
		{name: "role service", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("svc"), "role", "service"), "")), want: user("svc", auth.RoleService)},
		{name: "role user", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "role", "user"), "")), want: user("u1", auth.RoleUser)},
		{name: "role case-insensitive", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("a1"), "role", " Author "), "")), want: user("a1", auth.RoleAuthor)},
		{name: "role anonymous claimed", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "role", "anonymous"), "")), want: user("u1", auth.RoleUser)},
		{name: "role unknown", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "role", "admin"), "")), want: user("u1", auth.RoleUser)},
		{name: "role not a string", a: hsA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("u1"), "role", []string{"service"}), "")), want: user("u1", auth.RoleUser)},
		{name: "custom role claim", a: customA, setup: bearer(sign(t, hs256, []byte(secret), with(claims("a1"), "https://learn.example/role", "author", "role", "service"), "")),
			want: user("a1", auth.RoleAuthor)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/runs", nil)
			if c.remote != "" {
				r.RemoteAddr = c.remote
			}
			if c.setup != nil {
				c.setup(r)
			}
			got, err := c.a.Authenticate(r)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				if c.reason != nil && !errors.Is(err, c.reason) {
					t.Fatalf("err = %v, want it to wrap %v", err, c.reason)
				}
				if got != (auth.Identity{}) {
					t.Fatalf("identity %+v returned with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != c.want {
				t.Fatalf("identity = %+v, want %+v", got, c.want)
			}
		})
	}
}

func xff(v string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("X-Forwarded-For", v) }
}

func TestInvalidTokenMessageSaysWhy(t *testing.T) {
	a := newAuth(t, auth.Config{HS256Secret: secret, Issuer: issuer})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	bearer(sign(t, jwt.SigningMethodHS256, []byte(secret), with(claims("u1"), "exp", time.Now().Add(-time.Hour).Unix()), ""))(r)
	_, err := a.Authenticate(r)
	if err == nil || !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("err = %v, want ErrInvalidToken", err)
	}
	if want := "token is expired"; !contains(err.Error(), want) {
		t.Fatalf("message %q does not say %q", err, want)
	}
}
