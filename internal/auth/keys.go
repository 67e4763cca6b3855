package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// jwksAlgs are the asymmetric algorithms accepted from a JWKS. HMAC is
// never among them: a JWKS is public, so an "oct" key in it is no secret.
var jwksAlgs = []string{"RS256", "ES256"}

// minRSABits: shorter RSA keys are factorable; refuse to trust them.
const minRSABits = 2048

// keySet holds every key we verify with and the algorithms they permit.
type keySet struct {
	algs    []string
	secret  []byte
	fileKey crypto.PublicKey
	fileAlg string
	jwks    keyfunc.Keyfunc
}

func (k keySet) methods() []string { return k.algs }

func loadKeys(ctx context.Context, cfg Config) (keySet, error) {
	var k keySet
	if cfg.HS256Secret != "" {
		k.secret = []byte(cfg.HS256Secret)
		k.algs = append(k.algs, "HS256")
	}
	if cfg.PublicKeyFile != "" {
		key, alg, err := readPublicKey(cfg.PublicKeyFile)
		if err != nil {
			return keySet{}, fmt.Errorf("auth: config: PublicKeyFile %q: %w", cfg.PublicKeyFile, err)
		}
		k.fileKey, k.fileAlg = key, alg
		k.algs = append(k.algs, alg)
	}
	if cfg.JWKSURL != "" {
		jwks, err := newJWKS(ctx, cfg.JWKSURL)
		if err != nil {
			return keySet{}, fmt.Errorf("auth: config: JWKSURL %q: %w", cfg.JWKSURL, err)
		}
		k.jwks = jwks
		for _, a := range jwksAlgs {
			if !slices.Contains(k.algs, a) {
				k.algs = append(k.algs, a)
			}
		}
	}
	return k, nil
}

// newJWKS tolerates an unreachable JWKS at startup (the platform may boot
// after us): keys are fetched again hourly and on an unknown kid.
func newJWKS(ctx context.Context, u string) (keyfunc.Keyfunc, error) {
	return keyfunc.NewDefaultOverrideCtx(ctx, []string{u}, keyfunc.Override{
		HTTPTimeout:     10 * time.Second,
		RefreshInterval: time.Hour,
		// Key rotation should not lock users out for long, but a stream of
		// forged kids must not turn into a stream of requests to the platform.
		RefreshUnknownKID: rate.NewLimiter(rate.Every(30*time.Second), 1),
		// Bounds how long one request may wait on that limiter and refresh.
		RateLimitWaitMax: 5 * time.Second,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				slog.WarnContext(ctx, "auth: JWKS refresh failed", "url", u, "err", err)
			}
		},
	})
}

// readPublicKey also accepts a certificate, since platforms often publish
// one; a private key is refused because runblock should never hold it.
func readPublicKey(path string) (crypto.PublicKey, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "", errors.New("no PEM block found")
	}
	var key any
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, "", fmt.Errorf("PEM block %q is not a public key or certificate", block.Type)
	}
	if err != nil {
		return nil, "", err
	}
	switch key := key.(type) {
	case *rsa.PublicKey:
		if key.N.BitLen() < minRSABits {
			return nil, "", fmt.Errorf("RSA key has %d bits, need at least %d", key.N.BitLen(), minRSABits)
		}
		return key, "RS256", nil
	case *ecdsa.PublicKey:
		if key.Curve != elliptic.P256() {
			return nil, "", fmt.Errorf("EC key on %s, ES256 needs P-256", key.Curve.Params().Name)
		}
		return key, "ES256", nil
	default:
		return nil, "", fmt.Errorf("unsupported key type %T (want RSA or EC P-256)", key)
	}
}

// keyfunc picks keys by the token's algorithm, which the parser has
// already checked against algs, so an HMAC token only ever meets the
// secret and an RS256/ES256 token only ever meets public keys.
func (k keySet) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		alg := t.Method.Alg()
		if alg == "HS256" {
			return k.secret, nil
		}
		var keys []jwt.VerificationKey
		if k.fileKey != nil && alg == k.fileAlg {
			keys = append(keys, k.fileKey)
		}
		if k.jwks != nil && slices.Contains(jwksAlgs, alg) {
			got, err := k.jwks.KeyfuncCtx(ctx)(t)
			if err != nil && len(keys) == 0 {
				return nil, err
			}
			if err != nil {
				got = nil // the key file may still verify it
			}
			switch v := got.(type) {
			case nil:
			case jwt.VerificationKeySet:
				keys = append(keys, v.Keys...)
			default:
				keys = append(keys, v)
			}
		}
		switch len(keys) {
		case 0:
			return nil, fmt.Errorf("no key for algorithm %s", alg)
		case 1:
			return keys[0], nil
		default:
			return jwt.VerificationKeySet{Keys: keys}, nil
		}
	}
}
