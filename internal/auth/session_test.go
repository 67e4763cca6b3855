package auth_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/auth"
)

const sessionKey = "0123456789abcdef0123456789abcdef-session"

// browser sends one anonymous request through Session then Authenticate, as
// the HTTP middleware does, and returns the identity and any cookie set.
func browser(t *testing.T, a *auth.Authenticator, cookie *http.Cookie, edit ...func(*http.Request)) (auth.Identity, *http.Cookie) {
	t.Helper()
	r := httptest.NewRequest("GET", "/api/v1/code/stats", nil)
	r.RemoteAddr = "198.51.100.7:4242"
	if cookie != nil {
		r.AddCookie(cookie)
	}
	for _, e := range edit {
		e(r)
	}
	w := httptest.NewRecorder()
	r = a.Session(w, r)
	id, err := a.Authenticate(r)
	if err != nil {
		t.Fatal(err)
	}
	var set *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == auth.SessionCookie {
			set = c
		}
	}
	return id, set
}

func TestAnonymousSessions(t *testing.T) {
	a := newAuth(t, auth.Config{AllowAnonymous: true, SessionKey: []byte(sessionKey), TrustedProxies: []string{"198.51.100.7"}})

	first, c1 := browser(t, a, nil)
	if c1 == nil || !c1.HttpOnly || c1.SameSite != http.SameSiteLaxMode || c1.Path != "/" || c1.Secure || c1.MaxAge <= 0 {
		t.Fatalf("first visit: cookie %+v", c1)
	}
	if !strings.HasPrefix(first.UserID, "anon:s:") || first.QuotaKey != "anon:198.51.100.7" || first.Role != auth.RoleAnonymous || !first.Anonymous {
		t.Fatalf("first visit: identity %+v", first)
	}
	again, c := browser(t, a, c1)
	if c != nil || again != first {
		t.Fatalf("returning browser: identity %+v (was %+v), new cookie %v", again, first, c)
	}
	// Another browser on the same address: its own session, the same quota.
	other, c2 := browser(t, a, nil)
	if c2 == nil || other.UserID == first.UserID || other.QuotaKey != first.QuotaKey {
		t.Fatalf("second browser: %+v vs %+v", other, first)
	}

	// Forged or tampered cookies are ignored: a new session is issued.
	id, sig, _ := strings.Cut(c1.Value, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)-1] == 'A' {
			b[len(b)-1] = 'B'
		} else {
			b[len(b)-1] = 'A'
		}
		return string(b)
	}
	foreign := newAuth(t, auth.Config{AllowAnonymous: true, SessionKey: []byte(strings.Repeat("k", 32))})
	_, fc := browser(t, foreign, nil)
	for name, v := range map[string]string{
		"signature changed":  id + "." + flip(sig),
		"id changed":         flip(id) + "." + sig,
		"other server's key": fc.Value,
		"no signature":       id,
		"empty":              "",
		"garbage":            "../../etc/passwd." + sig,
	} {
		got, c := browser(t, a, &http.Cookie{Name: auth.SessionCookie, Value: v})
		if c == nil || got.UserID == first.UserID || got.UserID == "anon:s:"+flip(id) || got.QuotaKey != first.QuotaKey {
			t.Errorf("%s: identity %+v, new cookie %v", name, got, c)
		}
	}

	// Secure when the browser talks TLS, to us or to a trusted proxy.
	if _, c := browser(t, a, nil, func(r *http.Request) { r.TLS = &tls.ConnectionState{} }); c == nil || !c.Secure {
		t.Errorf("TLS: cookie %+v", c)
	}
	if _, c := browser(t, a, nil, func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") }); c == nil || !c.Secure {
		t.Errorf("TLS at a trusted proxy: cookie %+v", c)
	}
	if _, c := browser(t, a, nil, func(r *http.Request) {
		r.RemoteAddr = "192.0.2.1:1"
		r.Header.Set("X-Forwarded-Proto", "https")
	}); c == nil || c.Secure {
		t.Errorf("X-Forwarded-Proto from an untrusted peer: cookie %+v", c)
	}

	// A request with a token gets no session.
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer x")
	w := httptest.NewRecorder()
	if a.Session(w, r) != r || len(w.Result().Cookies()) != 0 {
		t.Error("session issued to a request with a token")
	}
}

func TestSessionKeyTooShort(t *testing.T) {
	if _, err := auth.New(t.Context(), auth.Config{AllowAnonymous: true, SessionKey: []byte("short")}); err == nil {
		t.Fatal("a 5-byte session key was accepted")
	}
}

// The generated key is kept (0600) and reused, so sessions survive a
// restart; a damaged key file is an error, not a silent new key.
func TestSessionKeyPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.key")
	k1, err := auth.LoadOrCreateSessionKey(path)
	if err != nil || len(k1) < auth.MinSessionKeyBytes {
		t.Fatalf("create: %d bytes, %v", len(k1), err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st.Mode(), err)
	}
	before := newAuth(t, auth.Config{AllowAnonymous: true, SessionKey: k1})
	who, c := browser(t, before, nil)

	k2, err := auth.LoadOrCreateSessionKey(path)
	if err != nil || string(k2) != string(k1) {
		t.Fatalf("reload: %v, same key %v", err, string(k2) == string(k1))
	}
	after := newAuth(t, auth.Config{AllowAnonymous: true, SessionKey: k2})
	if again, set := browser(t, after, c); again.UserID != who.UserID || set != nil {
		t.Fatalf("after restart: %+v (was %+v), new cookie %v", again, who, set)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}

	if err := os.WriteFile(path, []byte("not hex"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreateSessionKey(path); err == nil {
		t.Fatal("a damaged key file was accepted")
	}
}
