package execute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/store"
	"github.com/runblock/runblock/internal/validate"
)

// Checks (POST /validate, the policy check before a run) are admitted and
// metered like runs. Nothing here runs code: the runtime and validator are
// fakes that can be held in place to occupy a slot.

// gate blocks its holder until opened; entered is closed once it is reached.
type gate struct {
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{entered: make(chan struct{}), open: make(chan struct{})} }

func (g *gate) wait(ctx context.Context) {
	g.once.Do(func() { close(g.entered) })
	select {
	case <-g.open:
	case <-ctx.Done():
	}
}

// heldRuntime blocks every run on its gate (when set).
type heldRuntime struct{ g *gate }

func (h *heldRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	if h.g != nil {
		h.g.wait(ctx)
	}
	return sandbox.Result{Status: sandbox.StatusSuccess, Stage: sandbox.StageRun}, nil
}

// countingValidator rejects "import os", blocks on its gate (when set) and
// counts its calls safely across goroutines.
type countingValidator struct {
	mu    sync.Mutex
	calls int
	g     *gate
}

func (v *countingValidator) Validate(ctx context.Context, r validate.Request) (validate.Result, error) {
	v.mu.Lock()
	v.calls++
	g := v.g
	v.mu.Unlock()
	if g != nil {
		g.wait(ctx)
	}
	if strings.Contains(r.Code, "import os") {
		msg := "Security violation: import os is not allowed"
		return validate.Result{Error: &msg, PolicyViolation: true, Errors: []validate.Issue{{Message: msg}}}, nil
	}
	return validate.Result{Valid: true}, nil
}

func (v *countingValidator) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.calls
}

func newAdmissionService(t *testing.T, cfg Config) (*Service, *heldRuntime, *countingValidator, *fakeRecorder) {
	t.Helper()
	base := Config{
		MaxTimeout: 30 * time.Second, MaxCodeBytes: 64 << 10, MaxStdinBytes: 1 << 10, MaxConcurrent: 1, QueueWait: time.Minute,
		RateLimits: map[auth.Role]ratelimit.Limit{auth.RoleUser: {Rate: 2, Period: time.Minute}},
	}
	if cfg.MaxQueue != 0 {
		base.MaxQueue = cfg.MaxQueue
	}
	base.CheckFactor = cfg.CheckFactor
	rt, val, rec := &heldRuntime{}, &countingValidator{}, &fakeRecorder{}
	s, err := New(rt, map[string]sandbox.Language{"python": {Name: "python", FileName: "main.py", Run: []string{"python3"}}}, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.WithLimiter(ratelimit.NewMemory()).WithValidator(val, "strict").WithRecorder(rec)
	return s, rt, val, rec
}

func wantErrCode(t *testing.T, what string, err error, kind apperr.Kind, code string) *apperr.Error {
	t.Helper()
	e, ok := err.(*apperr.Error)
	if !ok || e.Kind != kind || e.Code != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
	return e
}

func TestChecksHaveTheirOwnQuota(t *testing.T) {
	for _, c := range []struct {
		factor, want int
	}{{0, 2 * DefaultCheckFactor}, {3, 6}} {
		s, _, val, _ := newAdmissionService(t, Config{CheckFactor: c.factor})
		who := Caller{UserID: "u", Role: auth.RoleUser}
		ctx := context.Background()
		if _, err := s.Run(ctx, who, Request{Code: "print(1)"}, IO{}); err != nil {
			t.Fatal(err)
		}
		for i := range c.want {
			res, d, err := s.Check(ctx, who, val, validate.Request{Code: "print(1)", Language: "python"})
			if err != nil || !res.Valid || d == nil || d.Limit != c.want || d.Remaining != c.want-1-i {
				t.Fatalf("factor %d, check %d: %v %+v %+v", c.factor, i+1, err, res, d)
			}
		}
		_, _, err := s.Check(ctx, who, val, validate.Request{Code: "print(1)", Language: "python"})
		e := wantErrCode(t, "check over quota", err, apperr.RateLimited, "check_rate_limited")
		if e.RetryAfter <= 0 || e.Headers["RateLimit-Remaining"] != "0" {
			t.Fatalf("check over quota: Retry-After %v, headers %v", e.RetryAfter, e.Headers)
		}
		// Checks and runs are counted apart: code whose verdict is known
		// still runs (new code would need a check, and is refused).
		if _, err := s.Run(ctx, who, Request{Code: "print(1)"}, IO{}); err != nil {
			t.Fatalf("run after the checks: %v", err)
		}
		// A signed-in caller's quota is theirs: another user is untouched.
		if _, _, err := s.Check(ctx, Caller{UserID: "v", Role: auth.RoleUser}, val, validate.Request{Code: "x = 1"}); err != nil {
			t.Fatalf("other user: %v", err)
		}
	}
}

func TestRejectionsUseTheCheckQuota(t *testing.T) {
	s, _, val, rec := newAdmissionService(t, Config{})
	who := Caller{UserID: "u", Role: auth.RoleUser}
	ctx := context.Background()
	if _, err := s.Run(ctx, who, Request{Code: "print('ok')"}, IO{}); err != nil {
		t.Fatal(err)
	}
	checks := 2 * DefaultCheckFactor
	for i := range checks {
		// Half of them are verdict-cache hits: a known rejection still costs.
		code := "import os"
		if i%2 == 1 {
			code += "  # " + strings.Repeat("x", i)
		}
		_, err := s.Run(ctx, who, Request{Code: code}, IO{})
		if _, ok := err.(*RejectedError); !ok {
			t.Fatalf("rejection %d: %v", i+1, err)
		}
	}
	_, err := s.Run(ctx, who, Request{Code: "import os"}, IO{})
	wantErrCode(t, "cached rejection over the check quota", err, apperr.RateLimited, "check_rate_limited")
	calls := val.count()
	_, err = s.Run(ctx, who, Request{Code: "import os # new"}, IO{})
	wantErrCode(t, "new code over the check quota", err, apperr.RateLimited, "check_rate_limited")
	if val.count() != calls {
		t.Fatal("code was checked for a caller over the check quota")
	}
	// Only rejections within the quota are history; the run quota is intact
	// for code whose verdict is known.
	rejected := 0
	for _, e := range rec.created {
		if e.Status == store.StatusRejected {
			rejected++
		}
	}
	if rejected != checks {
		t.Fatalf("%d rejections recorded, want %d", rejected, checks)
	}
	if _, err := s.Run(ctx, who, Request{Code: "print('ok')"}, IO{}); err != nil {
		t.Fatalf("known-good run after the rejections: %v", err)
	}
}

// With one slot and no queue, a check in progress holds the slot: another
// check and a run are refused (503), not run beside it; a cached verdict
// needs no slot.
func TestChecksTakeSandboxSlots(t *testing.T) {
	s, rt, val, _ := newAdmissionService(t, Config{})
	svc := Caller{UserID: "svc", Role: auth.RoleService}
	ctx := context.Background()
	if _, _, err := s.Check(ctx, svc, val, validate.Request{Code: "cached = 1"}); err != nil {
		t.Fatal(err)
	}
	val.g = newGate()
	done := make(chan error, 1)
	go func() {
		_, _, err := s.Check(ctx, svc, val, validate.Request{Code: "slow = 1"})
		done <- err
	}()
	<-val.g.entered
	_, _, err := s.Check(ctx, svc, val, validate.Request{Code: "other = 1"})
	wantErrCode(t, "second check", err, apperr.Busy, "busy")
	_, err = s.Run(ctx, svc, Request{Code: "print(1)"}, IO{})
	wantErrCode(t, "run beside a check", err, apperr.Busy, "busy")
	if res, _, err := s.Check(ctx, svc, val, validate.Request{Code: "cached = 1"}); err != nil || !res.Valid {
		t.Fatalf("cached verdict: %v %+v", err, res)
	}
	if n := val.count(); n != 2 {
		t.Fatalf("validator ran %d times, want 2 (the cached code and the held check)", n)
	}
	close(val.g.open)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// A run holding the slot keeps a check of new code out.
	val.g = nil
	rt.g = newGate()
	go func() {
		_, err := s.Run(ctx, svc, Request{Code: "print(2)"}, IO{})
		done <- err
	}()
	<-rt.g.entered
	_, _, err = s.Check(ctx, svc, val, validate.Request{Code: "while_running = 1"})
	wantErrCode(t, "check beside a run", err, apperr.Busy, "busy")
	close(rt.g.open)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A check waits in the queue like a run and goes ahead when the slot frees.
func TestCheckWaitsForTheSlot(t *testing.T) {
	s, rt, val, _ := newAdmissionService(t, Config{MaxQueue: 1})
	svc := Caller{UserID: "svc", Role: auth.RoleService}
	ctx := context.Background()
	rt.g = newGate()
	ran := make(chan error, 1)
	go func() {
		_, err := s.Run(ctx, svc, Request{Code: "print(1)"}, IO{})
		ran <- err
	}()
	<-rt.g.entered
	checked := make(chan error, 1)
	go func() {
		_, _, err := s.Check(ctx, svc, val, validate.Request{Code: "queued = 1"})
		checked <- err
	}()
	for {
		if _, waiting := s.Busy(); waiting == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if n := val.count(); n != 1 {
		t.Fatalf("validator ran %d times while the slot was held, want 1 (the run's own check)", n)
	}
	close(rt.g.open)
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if err := <-checked; err != nil {
		t.Fatal(err)
	}
	if n := val.count(); n != 2 {
		t.Fatalf("validator ran %d times, want 2", n)
	}
}

func TestRejectedRunKeepsPrefixAndDigest(t *testing.T) {
	s, _, _, rec := newAdmissionService(t, Config{})
	// A multi-byte character straddles the prefix limit.
	code := "import os\n#" + strings.Repeat("a", rejectedCodePrefix-12) + "é" + strings.Repeat("b", 60<<10)
	_, err := s.Run(context.Background(), Caller{UserID: "u", Role: auth.RoleUser}, Request{Code: code}, IO{})
	if _, ok := err.(*RejectedError); !ok {
		t.Fatalf("want a rejection, got %v", err)
	}
	if len(rec.created) != 1 {
		t.Fatalf("recorded %d rows", len(rec.created))
	}
	e := rec.created[0]
	sum := sha256.Sum256([]byte(code))
	if len(e.Code) > rejectedCodePrefix || len(e.Code) < rejectedCodePrefix-utf8.UTFMax || !strings.HasPrefix(code, e.Code) || !utf8.ValidString(e.Code) {
		t.Fatalf("stored code is %d bytes (valid %v), want a prefix of at most %d", len(e.Code), utf8.ValidString(e.Code), rejectedCodePrefix)
	}
	if e.CodeSHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("digest %q, want the SHA-256 of the full code", e.CodeSHA256)
	}
}

// A check refused for want of a slot is not charged to the caller.
func TestBusyChecksAreNotCharged(t *testing.T) {
	s, rt, val, _ := newAdmissionService(t, Config{CheckFactor: 1})
	who := Caller{UserID: "u", Role: auth.RoleUser}
	ctx := context.Background()
	rt.g = newGate()
	ran := make(chan error, 1)
	go func() {
		_, err := s.Run(ctx, Caller{UserID: "svc", Role: auth.RoleService}, Request{Code: "print(1)"}, IO{})
		ran <- err
	}()
	<-rt.g.entered
	for range 3 {
		_, _, err := s.Check(ctx, who, val, validate.Request{Code: "x = 1"})
		wantErrCode(t, "check beside a run", err, apperr.Busy, "busy")
	}
	close(rt.g.open)
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if _, d, err := s.Check(ctx, who, val, validate.Request{Code: "x = 1"}); err != nil || d.Remaining != 1 {
		t.Fatalf("first answered check: %v %+v; want 1 of 2 left", err, d)
	}
}
