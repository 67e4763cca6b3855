package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/wasm"
)

// fakeModules serves one module; the real compiler is tested with the
// sandbox in internal/wasm and end to end in cmd/runblock.
type fakeModules struct{ m wasm.Module }

func (f fakeModules) ByHash(h string) (wasm.Module, bool) { return f.m, h == f.m.Hash }
func (fakeModules) Stats() (int64, int64)                 { return 0, 0 }

func TestWasmModuleRoute(t *testing.T) {
	svc, err := execute.New(echoRuntime{}, map[string]sandbox.Language{"python": {Name: "python", FileName: "main.py", Run: []string{"python3"}}},
		execute.Config{MaxTimeout: 30 * time.Second, MaxCodeBytes: 1 << 10, MaxStdinBytes: 1 << 10, MaxConcurrent: 2, MaxQueue: 2, QueueWait: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.Repeat("ab", 32)
	s, err := NewServer(Deps{Exec: svc, Wasm: fakeModules{wasm.Module{Hash: hash, Bytes: []byte("\x00asm\x01\x00\x00\x00")}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, method, path, ifNoneMatch string
		status                          int
		body                            string
	}{
		{"module", "GET", "/api/v1/wasm/" + hash, "", 200, "\x00asm\x01\x00\x00\x00"},
		{"cached by the browser", "GET", "/api/v1/wasm/" + hash, `"` + hash + `"`, 304, ""},
		{"unknown module", "GET", "/api/v1/wasm/" + strings.Repeat("0", 64), "", 404, `"module_not_found"`},
		{"not a hash", "GET", "/api/v1/wasm/..%2fetc", "", 400, `"invalid_hash"`},
		{"upper-case hex is another name", "GET", "/api/v1/wasm/" + strings.ToUpper(hash), "", 400, `"invalid_hash"`},
		{"wrong method", "DELETE", "/api/v1/wasm/" + hash, "", 405, `"method_not_allowed"`},
		{"compile: unsupported here", "POST", "/api/v1/wasm/compile", "", 400, `"unsupported_environment"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body *strings.Reader
			if tc.method == "POST" {
				body = strings.NewReader(`{"language":"c","code":"int main(){}"}`)
			} else {
				body = strings.NewReader("")
			}
			req := httptest.NewRequest(tc.method, tc.path, body)
			if tc.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tc.ifNoneMatch)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
				t.Fatalf("%s %s: %d %q, want %d containing %q", tc.method, tc.path, rec.Code, rec.Body, tc.status, tc.body)
			}
			if tc.status == http.StatusOK {
				h := rec.Header()
				if h.Get("Content-Type") != "application/wasm" || !strings.Contains(h.Get("Cache-Control"), "immutable") || h.Get("ETag") != `"`+hash+`"` {
					t.Fatalf("headers %v", h)
				}
			}
		})
	}
}
