package auth_test

import (
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/runblock/runblock/internal/auth"
)

func bigOne() *big.Int { return big.NewInt(1) }

func isInvalid(err error) bool { return errors.Is(err, auth.ErrInvalidToken) }

func TestClientIP(t *testing.T) {
	trusted, err := auth.ParseTrustedProxies([]string{"10.0.0.0/8", "192.168.1.1", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no proxy", "203.0.113.9:1234", nil, "203.0.113.9"},
		{"untrusted peer, XFF ignored", "198.51.100.7:1234", []string{"203.0.113.9"}, "198.51.100.7"},
		{"trusted peer, no XFF", "10.0.0.1:1234", nil, "10.0.0.1"},
		{"trusted peer, one hop", "10.0.0.1:1234", []string{"203.0.113.9"}, "203.0.113.9"},
		{"trusted chain", "10.0.0.1:1234", []string{"203.0.113.9, 10.9.9.9, 192.168.1.1"}, "203.0.113.9"},
		{"spoofed entries left of the real client", "10.0.0.1:1234", []string{"1.1.1.1, 2.2.2.2, 203.0.113.9"}, "203.0.113.9"},
		{"several header lines", "10.0.0.1:1234", []string{"1.1.1.1", "203.0.113.9, 10.0.0.2"}, "203.0.113.9"},
		{"all hops trusted", "10.0.0.1:1234", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"garbage hop stops the walk", "10.0.0.1:1234", []string{"1.1.1.1, garbage, 10.0.0.2"}, "10.0.0.2"},
		{"hop with port", "10.0.0.1:1234", []string{"203.0.113.9:5555"}, "203.0.113.9"},
		{"IPv6 client via IPv6 proxy", "[fd00::1]:1234", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:1234", []string{"203.0.113.9"}, "203.0.113.9"},
		{"single trusted IP is exact", "192.168.1.2:1234", []string{"203.0.113.9"}, "192.168.1.2"},
		{"bare address", "203.0.113.9", nil, "203.0.113.9"},
		{"not an address", "@", nil, "@"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := auth.ClientIP(r, trusted); got != c.want {
				t.Fatalf("ClientIP = %q, want %q", got, c.want)
			}
		})
	}
	if got := auth.ClientIP(httptest.NewRequest(http.MethodGet, "/", nil), nil); got != "192.0.2.1" {
		t.Fatalf("no trusted proxies: ClientIP = %q, want httptest's 192.0.2.1", got)
	}
}
