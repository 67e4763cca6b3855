package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/runblock/runblock/internal/auth"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestNewRejectsBadConfig(t *testing.T) {
	keys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	smallPath, _ := publicPEM(t, &small.PublicKey)
	p384Path, _ := publicPEM(t, &p384.PublicKey)
	privDER, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	privPath := pemFile(t, "PRIVATE KEY", privDER)

	cases := []struct {
		name  string
		cfg   auth.Config
		field string // must be named in the error
	}{
		{"nothing configured", auth.Config{Issuer: issuer}, "AllowAnonymous"},
		{"short secret", auth.Config{HS256Secret: "short"}, "HS256Secret"},
		{"missing key file", auth.Config{PublicKeyFile: "/nonexistent/key.pem"}, "PublicKeyFile"},
		{"private key file", auth.Config{PublicKeyFile: privPath}, "PublicKeyFile"},
		{"RSA 1024", auth.Config{PublicKeyFile: smallPath}, "PublicKeyFile"},
		{"EC P-384", auth.Config{PublicKeyFile: p384Path}, "PublicKeyFile"},
		{"JWKS not a URL", auth.Config{JWKSURL: "jwks.json"}, "JWKSURL"},
		{"JWKS bad scheme", auth.Config{JWKSURL: "ftp://x/jwks.json"}, "JWKSURL"},
		{"bad proxy", auth.Config{AllowAnonymous: true, TrustedProxies: []string{"10.0.0.0/8", "proxy.local"}}, "TrustedProxies[1]"},
		{"negative leeway", auth.Config{HS256Secret: secret, Leeway: -time.Second}, "Leeway"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := auth.New(t.Context(), c.cfg)
			if err == nil {
				t.Fatalf("New accepted %+v", c.cfg)
			}
			if a != nil {
				t.Fatalf("New returned an Authenticator with error %v", err)
			}
			if !contains(err.Error(), c.field) {
				t.Fatalf("error %q does not name %s", err, c.field)
			}
		})
	}
}

func TestKeyFileFormats(t *testing.T) {
	keys(t)
	cert := &x509.Certificate{SerialNumber: bigOne(), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, cert, cert, &rsaKey.PublicKey, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	formats := map[string]string{
		"PKCS1":       pemFile(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)),
		"certificate": pemFile(t, "CERTIFICATE", certDER),
	}
	for name, path := range formats {
		t.Run(name, func(t *testing.T) {
			a := newAuth(t, auth.Config{PublicKeyFile: path})
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			bearer(sign(t, jwt.SigningMethodRS256, rsaKey, claims("u1"), ""))(r)
			id, err := a.Authenticate(r)
			if err != nil || id != (auth.Identity{UserID: "u1", Role: auth.RoleUser}) {
				t.Fatalf("Authenticate = %+v, %v; want u1/user", id, err)
			}
		})
	}
}

// TestJWKSUnreachableAtStartup: the platform may come up after runblock,
// so New succeeds, and tokens fail closed until keys can be fetched.
func TestJWKSUnreachableAtStartup(t *testing.T) {
	keys(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/jwks.json"
	srv.Close()
	a := newAuth(t, auth.Config{JWKSURL: url})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	bearer(sign(t, jwt.SigningMethodRS256, rsaKey, claims("u1"), "rsa-1"))(r)
	if _, err := a.Authenticate(r); !isInvalid(err) {
		t.Fatalf("err = %v, want ErrInvalidToken", err)
	}
}
