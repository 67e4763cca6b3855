package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/validate"
)

// fakeValidator is a unit-test fake of execute.Validator: it refuses what
// the real one refuses before running its checker (language, size, policy)
// and flags "import os" under the strict policy. It records what the
// handler passed on.
type fakeValidator struct {
	maxCodeBytes int
	mu           sync.Mutex
	last         validate.Request
}

func (f *fakeValidator) Validate(ctx context.Context, req validate.Request) (validate.Result, error) {
	f.mu.Lock()
	f.last = req
	f.mu.Unlock()
	switch req.Language {
	case "", "python", "c":
	default:
		return validate.Result{}, fmt.Errorf("%w: %q", validate.ErrUnsupportedLanguage, req.Language)
	}
	if len(req.Code) > f.maxCodeBytes {
		return validate.Result{}, fmt.Errorf("%w: %d bytes", validate.ErrTooLarge, len(req.Code))
	}
	policy := req.Policy
	switch policy {
	case "":
		policy = validate.PolicyStrict
	case validate.PolicyStrict, validate.PolicySandboxOnly:
	default:
		return validate.Result{}, fmt.Errorf("%w: %q", validate.ErrUnknownPolicy, req.Policy)
	}
	res := validate.Result{Valid: true, Warnings: []string{}, Errors: []validate.Issue{}, WarningDetails: []validate.Issue{}, Policy: policy}
	if policy == validate.PolicyStrict && strings.Contains(req.Code, "import os") {
		msg := "Security violation: import os is not allowed"
		res.Valid, res.Error, res.PolicyViolation = false, &msg, true
		res.Errors = append(res.Errors, validate.Issue{Line: 1, Column: 1, Message: msg})
	}
	return res, nil
}

func newValidateTestServer(tb testing.TB, v execute.Validator) *Server {
	tb.Helper()
	svc, err := execute.New(echoRuntime{}, map[string]sandbox.Language{
		"python": {Name: "python", FileName: "main.py", Run: []string{"python3", "main.py"}},
	}, execute.Config{MaxTimeout: 30 * time.Second, MaxCodeBytes: 1 << 10, MaxStdinBytes: 1 << 10, MaxConcurrent: 2, MaxQueue: 2, QueueWait: time.Second}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := NewServer(Deps{Exec: svc, Validator: v, MaxBodyBytes: 8 << 10})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// FuzzValidateEndpoint: whatever the body, POST /validate answers JSON with
// 200 (a verdict with its lists, never null), 400 or 413 (an error and its
// code), and nothing panics. The validator only ever sees non-blank code.
//
//	go test -run '^$' -fuzz '^FuzzValidateEndpoint$' -fuzztime 30s ./internal/httpapi/
func FuzzValidateEndpoint(f *testing.F) {
	for _, seed := range []string{
		`{"code":"import os; os.system('ls')","language":"python"}`, `{"code":"print(1)"}`,
		`{"code":"int main(void){return 0}","language":"C"}`, `{"code":"import os","policy":"sandbox-only"}`,
		`{"code":"x","policy":"lenient"}`, `{"code":"x","language":"cobol"}`, `{"code":"n = input()","stdin":true}`,
		`{"code":""}`, `{"code":" \n\t"}`, `{"code":"\u0000"}`, `{"code":"\ud800"}`, `{"code":null}`, `{"code":42}`,
		`{"code":"x","stdin":"yes"}`, `{"code":"x"}{"code":"y"}`, `{`, `[]`, `null`, `"str"`, ``,
		`{"code":"` + strings.Repeat("a", 2000) + `"}`, `{"code":"` + strings.Repeat("a", 9000) + `"}`,
		`{"code":"` + strings.Repeat("(", 500) + `"}`,
	} {
		f.Add(seed)
	}
	fv := &fakeValidator{maxCodeBytes: 1 << 10}
	s := newValidateTestServer(f, fv)
	f.Fuzz(func(t *testing.T, body string) {
		fv.mu.Lock()
		fv.last = validate.Request{Code: "\x00unset"}
		fv.mu.Unlock()
		req := httptest.NewRequest("POST", "/api/v1/code/validate", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON object for %q: %d %s", body, rec.Code, rec.Body)
		}
		switch rec.Code {
		case http.StatusOK:
			for _, k := range []string{"warnings", "errors", "warning_details"} {
				if _, ok := m[k].([]any); !ok {
					t.Fatalf("%s is not a list for %q: %s", k, body, rec.Body)
				}
			}
			valid, ok := m["valid"].(bool)
			if !ok || valid != (m["error"] == nil) {
				t.Fatalf("valid %v with error %v for %q", m["valid"], m["error"], body)
			}
			fv.mu.Lock()
			seen := fv.last
			fv.mu.Unlock()
			if strings.TrimSpace(seen.Code) == "" || seen.Language != strings.ToLower(seen.Language) {
				t.Fatalf("validator got %+v for %q", seen, body)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			code, _ := m["code"].(string)
			msg, _ := m["error"].(string)
			if code == "" || msg == "" || len(m) != 2 {
				t.Fatalf("error body is not {error, code} for %q: %s", body, rec.Body)
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}
