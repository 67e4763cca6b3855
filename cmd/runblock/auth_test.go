package main

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Tests of identity through the real API: JWT verification, ownership of
// runs, CORS and request ids.

const (
	testSecret   = "runblock-e2e-test-secret-0123456789abcdef"
	testIssuer   = "platform"
	testAudience = "runblock"
)

// logBuffer collects a server's log output; run() writes it from the
// server's goroutines while the test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServerArgs is startServer with full control: no --allow-anonymous
// and no default config; the server's log goes to the returned buffer.
func startServerArgs(t *testing.T, env map[string]string, args ...string) (*testServer, *logBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	logs := &logBuffer{}
	getenv := func(k string) string { return env[k] }
	full := append([]string{"runblock", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--content-dir", "../../content"}, args...)
	ts := &testServer{cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := run(ctx, full, getenv, strings.NewReader(""), pw, logs)
		pw.Close()
		ts.done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("server did not start: %v (%v)\n%s", err, <-ts.done, logs)
	}
	go io.Copy(io.Discard, pr)
	for _, w := range strings.Fields(line) {
		if strings.HasPrefix(w, "http://") {
			ts.URL = w
		}
	}
	if ts.URL == "" {
		t.Fatalf("no address in %q", line)
	}
	t.Cleanup(func() { ts.stop(t) })
	return ts, logs
}

// uniqueUser returns a user id no other test (or earlier run against the
// same Redis) uses, so quotas never carry over.
func uniqueUser(name string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return name + "-" + hex.EncodeToString(b[:])
}

// claimsFor is a valid claim set for the HS256 test server.
func claimsFor(sub string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub": sub, "iss": testIssuer, "aud": testAudience,
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// userToken is a valid HS256 token for sub.
func userToken(t *testing.T, sub string) string {
	return sign(t, jwt.SigningMethodHS256, []byte(testSecret), claimsFor(sub))
}

// call sends one request with an optional bearer token and extra headers
// (name, value pairs) and decodes a JSON answer (nil when the body is not
// JSON, e.g. a 204 preflight).
func call(t *testing.T, method, url, token, body string, header ...string) (*http.Response, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: response is not JSON (%d): %q", method, url, resp.StatusCode, raw)
		}
	}
	return resp, m
}

// assertErrorBody checks the API's error shape: exactly {"error", "code"}.
func assertErrorBody(t *testing.T, m map[string]any, code string) {
	t.Helper()
	if len(m) != 2 || m["code"] != code {
		t.Fatalf("error body %v, want exactly {error, code:%q}", m, code)
	}
	if msg, _ := m["error"].(string); msg == "" {
		t.Fatalf("error body without a message: %v", m)
	}
}

// hsConfig is the HS256 test server's config plus extra top-level keys.
func hsConfig(extra string) string {
	c := `{"auth": {"hs256_secret": "` + testSecret + `", "issuer": "` + testIssuer + `", "audience": "` + testAudience + `"}`
	if extra != "" {
		c += ", " + extra
	}
	return c + "}"
}

func writePublicKey(t *testing.T, pub crypto.PublicKey) (string, []byte) {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	raw := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	p := filepath.Join(t.TempDir(), "jwt.pem")
	if err := os.WriteFile(p, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, raw
}

const helloRun = `{"code":"print('hello')"}`

func TestJWTThroughAPI(t *testing.T) {
	t.Run("HS256", func(t *testing.T) {
		ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config", writeConfig(t, hsConfig("")))
		wrongKey := []byte("another-secret-that-is-long-enough-0123456789")
		with := func(sub string, edit func(jwt.MapClaims)) jwt.MapClaims {
			c := claimsFor(sub)
			edit(c)
			return c
		}
		cases := []struct {
			name  string
			token func(sub string) string
			want  int
			code  string
		}{
			{"valid", func(s string) string { return userToken(t, s) }, 200, ""},
			{"valid, audience among several", func(s string) string {
				return sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(s, func(c jwt.MapClaims) { c["aud"] = []string{"lms", testAudience} }))
			}, 200, ""},
			{"valid, expired within the 30 s leeway", func(s string) string {
				return sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(s, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-5 * time.Second).Unix() }))
			}, 200, ""},
			{"expired", func(s string) string {
				return sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(s, func(c jwt.MapClaims) {
					c["iat"], c["nbf"], c["exp"] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-time.Hour).Unix(), time.Now().Add(-2*time.Minute).Unix()
				}))
			}, 401, "invalid_token"},
			{"not yet valid", func(s string) string {
				return sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(s, func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(5 * time.Minute).Unix() }))
			}, 401, "invalid_token"},
			{"no exp", func(s string) string {
				return sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(s, func(c jwt.MapClaims) { delete(c, "exp") }))
			}, 401, "invalid_token"},
			{"wrong key", func(s string) string { return sign(t, jwt.SigningMethodHS256, wrongKey, claimsFor(s)) }, 401, "invalid_token"},
			{"wrong issuer", func(s string) string {
				return sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(s, func(c jwt.MapClaims) { c["iss"] = "someone-else" }))
			}, 401, "invalid_token"},
			{"wrong audience", func(s string) string {
				return sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(s, func(c jwt.MapClaims) { c["aud"] = "another-service" }))
			}, 401, "invalid_token"},
			{"alg none", func(s string) string {
				return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsFor(s))
			}, 401, "invalid_token"},
			{"HS384 with the right secret", func(s string) string {
				return sign(t, jwt.SigningMethodHS384, []byte(testSecret), claimsFor(s))
			}, 401, "invalid_token"},
			{"missing sub", func(s string) string {
				return sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(s, func(c jwt.MapClaims) { delete(c, "sub") }))
			}, 401, "invalid_token"},
			{"blank sub", func(s string) string {
				return sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(s, func(c jwt.MapClaims) { c["sub"] = "  " }))
			}, 401, "invalid_token"},
			{"sub posing as anonymous", func(s string) string {
				return sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(s, func(c jwt.MapClaims) { c["sub"] = "anon:127.0.0.1" }))
			}, 401, "invalid_token"},
			{"garbage token", func(string) string { return "not.a.jwt" }, 401, "invalid_token"},
			{"no token", func(string) string { return "" }, 401, "unauthorized"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sub := uniqueUser("jwt")
				tok := c.token(sub)
				resp, m := call(t, "POST", ts.URL+"/api/v1/code/execute", tok, helloRun)
				if resp.StatusCode != c.want {
					t.Fatalf("execute: %d, want %d: %v", resp.StatusCode, c.want, m)
				}
				if c.want == 200 {
					if m["output"] != "hello\n" || m["status"] != "success" {
						t.Fatalf("execute: %v", m)
					}
				} else {
					assertErrorBody(t, m, c.code)
				}
				// The same token on GET /stats and on the stream: every path
				// identifies the caller the same way.
				resp, m = call(t, "GET", ts.URL+"/api/v1/code/stats", tok, "")
				if resp.StatusCode != c.want {
					t.Fatalf("stats: %d, want %d: %v", resp.StatusCode, c.want, m)
				}
				if c.want == 200 {
					if m["user_id"] != sub || m["executions_last_minute"] != 1.0 || m["role"] != "user" {
						t.Fatalf("stats of %s: %v", sub, m)
					}
				} else {
					assertErrorBody(t, m, c.code)
					hdr := []string{}
					if tok != "" {
						hdr = []string{"Authorization", "Bearer " + tok}
					}
					sresp, ch := openStream(t, context.Background(), ts.URL, helloRun, hdr...)
					if evs := collect(ch); sresp.StatusCode != c.want || len(evs) != 0 {
						t.Fatalf("stream: %d with %d events, want %d before the stream opens", sresp.StatusCode, len(evs), c.want)
					}
				}
			})
		}
	})

	t.Run("RS256 and ES256 key files", func(t *testing.T) {
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		rsaFile, rsaPEM := writePublicKey(t, &rsaKey.PublicKey)
		ecFile, ecPEM := writePublicKey(t, &ecKey.PublicKey)
		cfg := func(file string) string {
			return `{"auth": {"public_key_file": "` + file + `", "issuer": "` + testIssuer + `", "audience": "` + testAudience + `"}}`
		}
		rsTS, _ := startServerArgs(t, nil, "--log-level", "warn", "--config", writeConfig(t, cfg(rsaFile)))
		esTS, _ := startServerArgs(t, nil, "--log-level", "warn", "--config", writeConfig(t, cfg(ecFile)))
		cases := []struct {
			name   string
			server *testServer
			token  func(sub string) string
			want   int
		}{
			{"RS256 valid", rsTS, func(s string) string { return sign(t, jwt.SigningMethodRS256, rsaKey, claimsFor(s)) }, 200},
			{"RS256 other key", rsTS, func(s string) string { return sign(t, jwt.SigningMethodRS256, otherRSA, claimsFor(s)) }, 401},
			{"RS256 expired", rsTS, func(s string) string {
				c := claimsFor(s)
				c["exp"] = time.Now().Add(-5 * time.Minute).Unix()
				return sign(t, jwt.SigningMethodRS256, rsaKey, c)
			}, 401},
			// The classic confusion: HMAC keyed with the public key's PEM.
			{"HS256 signed with the RSA public key", rsTS, func(s string) string { return sign(t, jwt.SigningMethodHS256, rsaPEM, claimsFor(s)) }, 401},
			{"PS256 with the right key", rsTS, func(s string) string { return sign(t, jwt.SigningMethodPS256, rsaKey, claimsFor(s)) }, 401},
			{"ES256 on an RSA server", rsTS, func(s string) string { return sign(t, jwt.SigningMethodES256, ecKey, claimsFor(s)) }, 401},
			{"alg none", rsTS, func(s string) string {
				return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsFor(s))
			}, 401},
			{"ES256 valid", esTS, func(s string) string { return sign(t, jwt.SigningMethodES256, ecKey, claimsFor(s)) }, 200},
			{"HS256 signed with the EC public key", esTS, func(s string) string { return sign(t, jwt.SigningMethodHS256, ecPEM, claimsFor(s)) }, 401},
			{"RS256 on an EC server", esTS, func(s string) string { return sign(t, jwt.SigningMethodRS256, rsaKey, claimsFor(s)) }, 401},
			{"no token", esTS, func(string) string { return "" }, 401},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sub := uniqueUser("pk")
				tok := c.token(sub)
				resp, m := call(t, "POST", c.server.URL+"/api/v1/code/execute", tok, helloRun)
				if resp.StatusCode != c.want {
					t.Fatalf("execute: %d, want %d: %v", resp.StatusCode, c.want, m)
				}
				resp, sm := call(t, "GET", c.server.URL+"/api/v1/code/stats", tok, "")
				if resp.StatusCode != c.want {
					t.Fatalf("stats: %d, want %d: %v", resp.StatusCode, c.want, sm)
				}
				if c.want == 200 {
					if m["status"] != "success" || sm["user_id"] != sub {
						t.Fatalf("execute %v, stats %v", m, sm)
					}
					return
				}
				code := "invalid_token"
				if tok == "" {
					code = "unauthorized"
				}
				assertErrorBody(t, m, code)
				assertErrorBody(t, sm, code)
			})
		}
	})
}

// jwksHandler serves the public halves of keys (kid → key) as a JWKS.
func jwksHandler(t *testing.T, keys map[string]crypto.PublicKey) http.Handler {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	var set []map[string]string
	for kid, k := range keys {
		switch k := k.(type) {
		case *rsa.PublicKey:
			set = append(set, map[string]string{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
				"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())})
		case *ecdsa.PublicKey:
			x, y := make([]byte, 32), make([]byte, 32)
			k.X.FillBytes(x)
			k.Y.FillBytes(y)
			set = append(set, map[string]string{"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256", "x": b64(x), "y": b64(y)})
		default:
			t.Fatalf("no JWK for %T", k)
		}
	}
	body, err := json.Marshal(map[string]any{"keys": set})
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}

func TestJWTFromJWKS(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	platform := httptest.NewServer(jwksHandler(t, map[string]crypto.PublicKey{"rsa-1": &rsaKey.PublicKey, "ec-1": &ecKey.PublicKey}))
	defer platform.Close()
	ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config", writeConfig(t,
		`{"auth": {"jwks_url": "`+platform.URL+`/.well-known/jwks.json", "issuer": "`+testIssuer+`", "audience": "`+testAudience+`"}}`))
	withKid := func(m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(m, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	jwksJSON := func() []byte {
		resp, err := http.Get(platform.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}()
	for _, c := range []struct {
		name  string
		token func(sub string) string
		want  int
	}{
		{"RS256 by kid", func(s string) string { return withKid(jwt.SigningMethodRS256, rsaKey, "rsa-1", claimsFor(s)) }, 200},
		{"ES256 by kid", func(s string) string { return withKid(jwt.SigningMethodES256, ecKey, "ec-1", claimsFor(s)) }, 200},
		{"unknown kid", func(s string) string { return withKid(jwt.SigningMethodES256, unknown, "ec-2", claimsFor(s)) }, 401},
		{"known kid, other key", func(s string) string { return withKid(jwt.SigningMethodES256, unknown, "ec-1", claimsFor(s)) }, 401},
		{"wrong issuer", func(s string) string {
			c := claimsFor(s)
			c["iss"] = "elsewhere"
			return withKid(jwt.SigningMethodRS256, rsaKey, "rsa-1", c)
		}, 401},
		// HMAC keyed with the published JWKS document or the key's modulus.
		{"HS256 with the JWKS as secret", func(s string) string { return withKid(jwt.SigningMethodHS256, jwksJSON, "rsa-1", claimsFor(s)) }, 401},
		{"HS256 with the modulus as secret", func(s string) string {
			return withKid(jwt.SigningMethodHS256, rsaKey.N.Bytes(), "rsa-1", claimsFor(s))
		}, 401},
		{"alg none", func(s string) string {
			return withKid(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "rsa-1", claimsFor(s))
		}, 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub := uniqueUser("jwks")
			resp, m := call(t, "POST", ts.URL+"/api/v1/code/execute", c.token(sub), helloRun)
			if resp.StatusCode != c.want {
				t.Fatalf("execute: %d %v, want %d", resp.StatusCode, m, c.want)
			}
			if c.want == 401 {
				assertErrorBody(t, m, "invalid_token")
			} else if m["status"] != "success" {
				t.Fatalf("execute: %v", m)
			}
		})
	}
}

func TestOwnershipOnOneReplica(t *testing.T) {
	ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config", writeConfig(t, hsConfig("")))
	alice, bob := uniqueUser("alice"), uniqueUser("bob")
	aliceTok, bobTok := userToken(t, alice), userToken(t, bob)

	_, ch := openStream(t, context.Background(), ts.URL, `{"code":"name = input('name? ')\nprint('hi', name)"}`, "Authorization", "Bearer "+aliceTok)
	start := <-ch
	id, _ := start.data["id"].(string)
	if start.data["type"] != "start" || id == "" {
		t.Fatalf("first event %v", start.data)
	}
	runURL := ts.URL + "/api/v1/code/executions/" + id

	// Bob can neither feed nor stop Alice's run: it does not exist for him.
	resp, m := call(t, "POST", runURL+"/stdin", bobTok, `{"data":"Mallory\n"}`)
	if resp.StatusCode != 404 {
		t.Fatalf("bob's stdin: %d %v", resp.StatusCode, m)
	}
	assertErrorBody(t, m, "execution_not_found")
	resp, m = call(t, "POST", runURL+"/cancel", bobTok, `{}`)
	if resp.StatusCode != 404 {
		t.Fatalf("bob's cancel: %d %v", resp.StatusCode, m)
	}
	assertErrorBody(t, m, "execution_not_found")
	// Nor can an anonymous caller (anonymous access is off: 401).
	if resp, m = call(t, "POST", runURL+"/cancel", "", `{}`); resp.StatusCode != 401 {
		t.Fatalf("anonymous cancel: %d %v", resp.StatusCode, m)
	}
	// Bob's stats are Bob's, whatever he asks for.
	for _, q := range []string{"", "?user_id=" + alice} {
		resp, m = call(t, "GET", ts.URL+"/api/v1/code/stats"+q, bobTok, "")
		if resp.StatusCode != 200 || m["user_id"] != bob || m["executions_last_minute"] != 0.0 || m["total_executions"] != 0.0 {
			t.Fatalf("bob's stats%s: %d %v", q, resp.StatusCode, m)
		}
	}

	// Alice's run is untouched and still takes her input.
	if resp, m = call(t, "POST", runURL+"/stdin", aliceTok, `{"data":"Ada\n","eof":true}`); resp.StatusCode != 202 {
		t.Fatalf("alice's stdin: %d %v", resp.StatusCode, m)
	}
	rest := collect(ch)
	done, out, _ := checkShape(t, append([]sseEvent{start}, rest...))
	if done["status"] != "success" || out != "name? hi Ada\n" {
		t.Fatalf("alice's run: %q %v", out, done)
	}
	// Finished: Alice gets 409, Bob still 404.
	if resp, m = call(t, "POST", runURL+"/stdin", aliceTok, `{"data":"x"}`); resp.StatusCode != 409 {
		t.Fatalf("alice's late stdin: %d %v", resp.StatusCode, m)
	}
	if resp, m = call(t, "POST", runURL+"/cancel", bobTok, `{}`); resp.StatusCode != 404 {
		t.Fatalf("bob's late cancel: %d %v", resp.StatusCode, m)
	}

	// History: the run is Alice's alone.
	resp, m = call(t, "GET", runURL, aliceTok, "")
	if resp.StatusCode != 200 || m["id"] != id || m["status"] != "success" {
		t.Fatalf("alice's GET: %d %v", resp.StatusCode, m)
	}
	resp, m = call(t, "GET", runURL, bobTok, "")
	if resp.StatusCode != 404 {
		t.Fatalf("bob's GET of alice's run: %d %v", resp.StatusCode, m)
	}
	assertErrorBody(t, m, "execution_not_found")
	resp, m = call(t, "GET", ts.URL+"/api/v1/code/executions", bobTok, "")
	if list, _ := m["executions"].([]any); resp.StatusCode != 200 || len(list) != 0 {
		t.Fatalf("bob's history: %d %v", resp.StatusCode, m)
	}
	resp, m = call(t, "GET", ts.URL+"/api/v1/code/stats", aliceTok, "")
	if resp.StatusCode != 200 || m["user_id"] != alice || m["executions_last_minute"] != 1.0 || m["total_executions"] != 1.0 {
		t.Fatalf("alice's stats: %d %v", resp.StatusCode, m)
	}
}

func TestCORS(t *testing.T) {
	const origin = "https://learn.example.com"
	ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config",
		writeConfig(t, hsConfig(`"cors": {"allowed_origins": ["`+origin+`"]}`)))
	url := ts.URL + "/api/v1/code/execute"
	preflight := func(from string) *http.Response {
		t.Helper()
		resp, _ := call(t, "OPTIONS", url, "", "", "Origin", from,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type")
		return resp
	}

	resp := preflight(origin)
	h := resp.Header
	if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("preflight from %s: %d %v", origin, resp.StatusCode, h)
	}
	allowed := strings.Split(strings.ReplaceAll(h.Get("Access-Control-Allow-Headers"), " ", ""), ",")
	for _, want := range []string{"Authorization", "Content-Type"} {
		if !slices.Contains(allowed, want) {
			t.Fatalf("Allow-Headers %q lacks %s", h.Get("Access-Control-Allow-Headers"), want)
		}
	}
	if !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("preflight headers %v", h)
	}
	if !slices.Contains(h.Values("Vary"), "Origin") {
		t.Fatalf("preflight without Vary: Origin: %v", h)
	}

	resp = preflight("https://evil.example.com")
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("preflight from another origin got Allow-Origin %q", got)
	}
	if resp.Header.Get("Access-Control-Allow-Headers") != "" {
		t.Fatalf("preflight from another origin: %v", resp.Header)
	}

	// The actual request from the allowed origin: ACAO, and the quota
	// headers are readable by the page.
	resp, m := call(t, "POST", url, userToken(t, uniqueUser("cors")), helloRun, "Origin", origin)
	if resp.StatusCode != 200 || m["status"] != "success" {
		t.Fatalf("POST from %s: %d %v", origin, resp.StatusCode, m)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("POST lacks Allow-Origin: %v", resp.Header)
	}
	exposed := strings.Split(strings.ReplaceAll(resp.Header.Get("Access-Control-Expose-Headers"), " ", ""), ",")
	for _, want := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After", "X-Request-ID"} {
		if !slices.Contains(exposed, want) {
			t.Fatalf("Expose-Headers %q lacks %s", resp.Header.Get("Access-Control-Expose-Headers"), want)
		}
	}
	if resp.Header.Get("RateLimit-Remaining") != "9" {
		t.Fatalf("RateLimit-Remaining %q, want 9", resp.Header.Get("RateLimit-Remaining"))
	}
	// An error from the allowed origin is readable by the page too.
	resp, m = call(t, "POST", url, "", helloRun, "Origin", origin)
	if resp.StatusCode != 401 || resp.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("401 from %s: %d %v %v", origin, resp.StatusCode, resp.Header, m)
	}
	// Another origin's actual request is answered without ACAO.
	resp, _ = call(t, "POST", url, userToken(t, uniqueUser("cors")), helloRun, "Origin", "https://evil.example.com")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Expose-Headers") != "" {
		t.Fatalf("POST from another origin: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestCORSConfigurations(t *testing.T) {
	const origin = "https://learn.example.com"
	t.Run("credentials with listed origins", func(t *testing.T) {
		ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config",
			writeConfig(t, hsConfig(`"cors": {"allowed_origins": ["`+origin+`"], "allow_credentials": true}`)))
		resp, _ := call(t, "OPTIONS", ts.URL+"/api/v1/code/stats", "", "", "Origin", origin, "Access-Control-Request-Method", "GET")
		h := resp.Header
		if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != origin || h.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("preflight: %d %v", resp.StatusCode, h)
		}
		resp, _ = call(t, "OPTIONS", ts.URL+"/api/v1/code/stats", "", "", "Origin", "https://evil.example.com", "Access-Control-Request-Method", "GET")
		if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("preflight from another origin: %v", resp.Header)
		}
	})
	t.Run("any origin without credentials", func(t *testing.T) {
		ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config",
			writeConfig(t, hsConfig(`"cors": {"allowed_origins": ["*"]}`)))
		resp, m := call(t, "GET", ts.URL+"/api/v1/code/stats", userToken(t, uniqueUser("star")), "", "Origin", "https://anywhere.example.org")
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("GET: %d %v %v", resp.StatusCode, resp.Header, m)
		}
	})
	t.Run("any origin with credentials is refused at start-up", func(t *testing.T) {
		var stdout, stderr logBuffer
		err := run(context.Background(), []string{"runblock", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
			"--config", writeConfig(t, hsConfig(`"cors": {"allowed_origins": ["*"], "allow_credentials": true}`))},
			func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "cors.allowed_origins[0]") || strings.Contains(stdout.String(), "listening") {
			t.Fatalf("serve with \"*\" and credentials: %v (stdout %q)", err, stdout.String())
		}
	})
}

func TestRequestID(t *testing.T) {
	ts, logs := startServerArgs(t, nil, "--log-level", "info", "--config", writeConfig(t, hsConfig("")))
	tok := userToken(t, uniqueUser("rid"))
	given := "trace-" + uniqueUser("req")

	resp, m := call(t, "POST", ts.URL+"/api/v1/code/execute", tok, helloRun, "X-Request-ID", given)
	if resp.StatusCode != 200 || resp.Header.Get("X-Request-ID") != given {
		t.Fatalf("valid id: %d, X-Request-ID %q, want %q (%v)", resp.StatusCode, resp.Header.Get("X-Request-ID"), given, m)
	}
	// Errors carry it too.
	resp, _ = call(t, "POST", ts.URL+"/api/v1/code/execute", "", helloRun, "X-Request-ID", given+"-401")
	if resp.StatusCode != 401 || resp.Header.Get("X-Request-ID") != given+"-401" {
		t.Fatalf("401: %d, X-Request-ID %q", resp.StatusCode, resp.Header.Get("X-Request-ID"))
	}

	for _, bad := range []string{"has spaces in it", "line\tbreak", strings.Repeat("x", 65), "semi;colon"} {
		resp, _ = call(t, "GET", ts.URL+"/api/v1/code/stats", tok, "", "X-Request-ID", bad)
		got := resp.Header.Get("X-Request-ID")
		if resp.StatusCode != 200 || got == "" || got == bad || strings.ContainsAny(got, " \t;") || len(got) > 64 {
			t.Fatalf("invalid id %q: %d, answered with %q", bad, resp.StatusCode, got)
		}
	}
	// Without one, each response gets its own.
	r1, _ := call(t, "GET", ts.URL+"/healthz", "", "")
	r2, _ := call(t, "GET", ts.URL+"/healthz", "", "")
	if a, b := r1.Header.Get("X-Request-ID"), r2.Header.Get("X-Request-ID"); a == "" || a == b {
		t.Fatalf("generated ids %q and %q", a, b)
	}

	// The access log names the request by the same id.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "request_id="+given) {
		if time.Now().After(deadline) {
			t.Fatalf("log never mentions request_id=%s:\n%s", given, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
