package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/auth"
)

// Anonymous browsers get their session cookie from the middleware, on API
// requests only, and the handlers see that session at once.
func TestMiddlewareIssuesAnonymousSessions(t *testing.T) {
	a, err := auth.New(t.Context(), auth.Config{AllowAnonymous: true, SessionKey: []byte(strings.Repeat("s", 32))})
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t)
	s.Auth = a
	get := func(path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("/healthz"); rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("/healthz set a cookie: %v", rec.Header())
	}
	rec := get("/api/v1/code/stats")
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusOK || len(cookies) != 1 || cookies[0].Name != auth.SessionCookie {
		t.Fatalf("first stats: %d %v", rec.Code, rec.Header())
	}
	first := rec.Body.String()
	if !strings.Contains(first, `"user_id":"anon:s:`) {
		t.Fatalf("first stats body: %s", first)
	}
	again := get("/api/v1/code/stats", cookies[0])
	if again.Header().Get("Set-Cookie") != "" || again.Body.String() != first {
		t.Fatalf("with the cookie: %v %s, want %s", again.Header(), again.Body, first)
	}
}
