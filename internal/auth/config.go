package auth

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Config says how tokens are verified.
type Config struct {
	HS256Secret    string
	PublicKeyFile  string // PEM RSA or EC public key (RS256 / ES256)
	JWKSURL        string
	Issuer         string
	Audience       string
	RoleClaim      string // default "role"
	AllowAnonymous bool
	TrustedProxies []string // CIDRs or IPs whose X-Forwarded-For is trusted
	Leeway         time.Duration
	// SessionKey signs anonymous browsers' session cookies (at least 32
	// bytes); without one, anonymous callers are told apart by address only.
	SessionKey []byte
}

// minSecretBytes follows RFC 7518 §3.2: an HS256 key at least as long as
// the hash; shorter secrets are brute-forceable offline from one token.
const minSecretBytes = 32

func (c Config) validate() error {
	if c.HS256Secret == "" && c.PublicKeyFile == "" && c.JWKSURL == "" && !c.AllowAnonymous {
		return errors.New("auth: config: set at least one of HS256Secret, PublicKeyFile, JWKSURL or AllowAnonymous")
	}
	if c.HS256Secret != "" && len(c.HS256Secret) < minSecretBytes {
		return fmt.Errorf("auth: config: HS256Secret must be at least %d bytes, got %d", minSecretBytes, len(c.HS256Secret))
	}
	if err := checkSessionKey(c.SessionKey); err != nil {
		return err
	}
	if c.Leeway < 0 {
		return fmt.Errorf("auth: config: Leeway must not be negative, got %v", c.Leeway)
	}
	if c.RoleClaim != "" && strings.TrimSpace(c.RoleClaim) != c.RoleClaim {
		return fmt.Errorf("auth: config: RoleClaim %q has surrounding spaces", c.RoleClaim)
	}
	if c.JWKSURL != "" {
		u, err := url.Parse(c.JWKSURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("auth: config: JWKSURL %q is not an http(s) URL", c.JWKSURL)
		}
	}
	return nil
}

// ParseTrustedProxies turns Config.TrustedProxies (CIDRs or single IPs)
// into prefixes for ClientIP.
func ParseTrustedProxies(entries []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(entries))
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, fmt.Errorf("auth: config: TrustedProxies[%d] %q is neither a CIDR nor an IP", i, e)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
