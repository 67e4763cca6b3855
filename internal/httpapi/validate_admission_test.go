package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/validate"
)

// heldValidator holds its first check until release is closed (later ones
// answer at once); entered gets one value per check that started.
type heldValidator struct {
	fakeValidator
	entered chan struct{}
	release chan struct{}
	held    atomic.Bool
}

func (h *heldValidator) Validate(ctx context.Context, req validate.Request) (validate.Result, error) {
	h.entered <- struct{}{}
	if h.held.CompareAndSwap(false, true) {
		<-h.release
	}
	return h.fakeValidator.Validate(ctx, req)
}

func newAdmissionServer(t *testing.T, v execute.Validator, cfg execute.Config) *Server {
	t.Helper()
	cfg.MaxTimeout, cfg.MaxCodeBytes, cfg.MaxStdinBytes, cfg.QueueWait = 30*time.Second, 1<<10, 1<<10, time.Minute
	svc, err := execute.New(echoRuntime{}, map[string]sandbox.Language{
		"python": {Name: "python", FileName: "main.py", Run: []string{"python3", "main.py"}},
	}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.WithLimiter(ratelimit.NewMemory())
	s, err := NewServer(Deps{Exec: svc, Validator: v, MaxBodyBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func postValidate(s *Server, code string) (*httptest.ResponseRecorder, map[string]any) {
	body, _ := json.Marshal(map[string]string{"code": code})
	req := httptest.NewRequest("POST", "/api/v1/code/validate", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec, m
}

// A flood of /validate from one caller is answered 429 once the caller's
// check quota (run quota × check factor) is used, cached verdicts included.
func TestValidateFloodIsRateLimited(t *testing.T) {
	s := newAdmissionServer(t, &fakeValidator{maxCodeBytes: 1 << 10}, execute.Config{
		MaxConcurrent: 2, MaxQueue: 2, CheckFactor: 3,
		RateLimits: map[auth.Role]ratelimit.Limit{auth.RoleAnonymous: {Rate: 1, Period: time.Minute}},
	})
	for i := range 3 {
		rec, m := postValidate(s, fmt.Sprintf("x = %d", i%2))
		if rec.Code != http.StatusOK || m["valid"] != true || rec.Header().Get("RateLimit-Limit") != "3" ||
			rec.Header().Get("RateLimit-Remaining") != fmt.Sprint(2-i) {
			t.Fatalf("check %d: %d %v %v", i+1, rec.Code, rec.Header(), m)
		}
	}
	rec, m := postValidate(s, "x = 1")
	if rec.Code != http.StatusTooManyRequests || m["code"] != "check_rate_limited" || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("check over quota: %d %v %v", rec.Code, rec.Header(), m)
	}
}

// With one sandbox slot and no queue, a check in progress holds the slot:
// a second /validate is refused with 503 instead of running beside it.
func TestValidateFloodCannotExceedAdmission(t *testing.T) {
	v := &heldValidator{fakeValidator: fakeValidator{maxCodeBytes: 1 << 10}, entered: make(chan struct{}, 8), release: make(chan struct{})}
	s := newAdmissionServer(t, v, execute.Config{MaxConcurrent: 1, MaxQueue: 0})
	done := make(chan int, 1)
	go func() {
		rec, _ := postValidate(s, "first = 1")
		done <- rec.Code
	}()
	<-v.entered
	for i := range 5 {
		rec, m := postValidate(s, fmt.Sprintf("flood = %d", i))
		if rec.Code != http.StatusServiceUnavailable || m["code"] != "busy" || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("check %d beside a held slot: %d %v %v", i, rec.Code, rec.Header(), m)
		}
	}
	if n := len(v.entered); n != 0 {
		t.Fatalf("%d more checks started while the only slot was held", n)
	}
	close(v.release)
	if code := <-done; code != http.StatusOK {
		t.Fatalf("held check: %d", code)
	}
}
