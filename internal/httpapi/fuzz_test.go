package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/sandbox"
)

// echoRuntime is a unit-test fake: it never runs anything, it writes the
// code back as output so handlers can be exercised without a sandbox.
type echoRuntime struct{}

func (echoRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	if req.Stdout != nil {
		req.Stdout.Write(req.Files[0].Content)
	}
	return sandbox.Result{Status: sandbox.StatusSuccess, Stage: sandbox.StageRun, WallTime: time.Millisecond}, nil
}

func newTestServer(t testing.TB) *Server {
	t.Helper()
	svc, err := execute.New(echoRuntime{}, map[string]sandbox.Language{
		"python": {Name: "python", FileName: "main.py", Run: []string{"python3", "main.py"}},
	}, execute.Config{MaxTimeout: 30 * time.Second, MaxCodeBytes: 1 << 10, MaxStdinBytes: 1 << 10, MaxConcurrent: 2, MaxQueue: 2, QueueWait: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Deps{Exec: svc, MaxBodyBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzExecuteRequest: whatever the body, the answer is JSON with a status a
// client can act on, and nothing panics.
func FuzzExecuteRequest(f *testing.F) {
	for _, seed := range []string{
		`{"code":"print(1)"}`, `{"code":"x","timeout":1e308}`, `{"code":"x","timeout":-1}`, `{"code":"x","stdin":null}`,
		`{"code":"x","language":"PYTHON","environment":"Docker"}`, `{"code":"\u0000"}`, `{`, `[]`, `null`, `"str"`,
		`{"code":"x","timeout":"30"}`, `{"code":"x"}{"code":"y"}`, `{"code":"` + strings.Repeat("a", 2000) + `"}`,
	} {
		f.Add(seed)
	}
	s := newTestServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/code/execute", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("not JSON for %q: %s", body, rec.Body)
		}
		if rec.Code != http.StatusOK && (m["error"] == nil || m["code"] == nil) {
			t.Fatalf("error body without error/code: %s", rec.Body)
		}
	})
}

func TestPanicBecomesJSON500(t *testing.T) {
	s := newTestServer(t)
	s.mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"code":"internal"`) || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("panic answered %d %s", rec.Code, rec.Body)
	}
}

func TestWrongContentType(t *testing.T) {
	s := newTestServer(t)
	req := httptest.NewRequest("POST", "/api/v1/code/execute", strings.NewReader(`code=print(1)`))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "bad_content_type") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

func TestWrongMethodIsJSON405(t *testing.T) {
	s := newTestServer(t)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/code/execute", nil))
	if rec.Code != 405 || rec.Header().Get("Allow") != "POST" || !strings.Contains(rec.Body.String(), `"code":"method_not_allowed"`) {
		t.Fatalf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}
