package execute

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/store"
	"github.com/runblock/runblock/internal/validate"
)

// Unit-test fakes: nothing here runs code.
type fakeRuntime struct{ calls int }

func (f *fakeRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	f.calls++
	req.Stdout.Write([]byte("out"))
	req.Stderr.Write([]byte("err"))
	return sandbox.Result{Status: sandbox.StatusSuccess, Stage: sandbox.StageRun, WallTime: time.Millisecond}, nil
}

type fakeValidator struct{ calls int }

func (f *fakeValidator) Validate(ctx context.Context, r validate.Request) (validate.Result, error) {
	f.calls++
	if strings.Contains(r.Code, "import os") {
		msg := "Security violation: import os is not allowed"
		return validate.Result{Valid: false, Error: &msg, PolicyViolation: true}, nil
	}
	return validate.Result{Valid: true, Warnings: []string{"line 1: a warning"}}, nil
}

type fakeRecorder struct {
	mu      sync.Mutex
	created []store.Execution
	done    []store.Execution
}

func (f *fakeRecorder) CreateExecution(ctx context.Context, e *store.Execution) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, *e)
	return nil
}

func (f *fakeRecorder) FinishExecution(ctx context.Context, e *store.Execution) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = append(f.done, *e)
	return nil
}

func newService(t *testing.T) (*Service, *fakeRuntime, *fakeValidator, *fakeRecorder) {
	t.Helper()
	rt, val, rec := &fakeRuntime{}, &fakeValidator{}, &fakeRecorder{}
	s, err := New(rt, map[string]sandbox.Language{"python": {Name: "python", FileName: "main.py", Run: []string{"python3"}}}, Config{
		MaxTimeout: 30 * time.Second, MaxCodeBytes: 1 << 10, MaxStdinBytes: 1 << 10, MaxConcurrent: 1, MaxQueue: 0, QueueWait: time.Second,
		RateLimits: map[auth.Role]ratelimit.Limit{auth.RoleUser: {Rate: 2, Period: time.Minute}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.WithLimiter(ratelimit.NewMemory()).WithValidator(val, "strict").WithRecorder(rec)
	return s, rt, val, rec
}

func TestOnlyAdmittedRunsUseQuota(t *testing.T) {
	s, rt, _, rec := newService(t)
	who := Caller{UserID: "u1", Role: auth.RoleUser}
	ctx := context.Background()
	var out strings.Builder
	if _, err := s.Run(ctx, who, Request{Code: "import os"}, IO{Stdout: &out}); err == nil {
		t.Fatal("policy violation ran")
	} else if _, ok := err.(*RejectedError); !ok {
		t.Fatalf("want RejectedError, got %v", err)
	}
	if _, err := s.Run(ctx, who, Request{Code: "x", Language: "cobol"}, IO{}); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("unknown language: %v", err)
	}
	for i := 0; i < 2; i++ {
		o, err := s.Run(ctx, who, Request{Code: "print(1)"}, IO{Stdout: &out})
		if err != nil || o.Quota == nil || o.Quota.Remaining != 1-i {
			t.Fatalf("run %d: %v %+v", i, err, o.Quota)
		}
		if len(o.Warnings) != 1 {
			t.Fatalf("warnings not passed on: %v", o.Warnings)
		}
	}
	_, err := s.Run(ctx, who, Request{Code: "print(1)"}, IO{})
	if apperr.KindOf(err) != apperr.RateLimited || err.(*apperr.Error).Headers["RateLimit-Remaining"] != "0" {
		t.Fatalf("third run: %v", err)
	}
	if rt.calls != 2 {
		t.Fatalf("sandbox ran %d times, want 2", rt.calls)
	}
	// History: the rejection (finished at once) and two runs with output.
	if len(rec.created) != 3 || rec.created[0].Status != store.StatusRejected || rec.created[0].ErrorOutput == "" {
		t.Fatalf("created %+v", rec.created)
	}
	if len(rec.done) != 2 || rec.done[0].Output != "out" || rec.done[0].ErrorOutput != "err" || rec.done[0].Status != "success" {
		t.Fatalf("finished %+v", rec.done)
	}
}

func TestVerdictCacheSkipsRepeatChecks(t *testing.T) {
	s, _, val, _ := newService(t)
	who := Caller{UserID: "svc", Role: auth.RoleService}
	for i := 0; i < 3; i++ {
		if _, err := s.Run(context.Background(), who, Request{Code: "print(2)"}, IO{}); err != nil {
			t.Fatal(err)
		}
	}
	if val.calls != 1 {
		t.Fatalf("validator called %d times for the same code", val.calls)
	}
	s.Run(context.Background(), who, Request{Code: "print(2)", Stdin: ptr("x")}, IO{})
	if val.calls != 2 {
		t.Fatal("stdin changes the verdict (input() warning) and must not share the cache entry")
	}
}

func TestPyodideRunsOnServerAndSaysSo(t *testing.T) {
	s, _, _, _ := newService(t)
	o, err := s.Run(context.Background(), Caller{UserID: "svc", Role: auth.RoleService}, Request{Code: "print(3)", Environment: "Pyodide"}, IO{})
	if err != nil || o.Environment != EnvServer || !strings.Contains(strings.Join(o.Warnings, " "), "browser") {
		t.Fatalf("%v %+v", err, o)
	}
}

func TestFailureMessages(t *testing.T) {
	lim := sandbox.Limits{WallTime: 2 * time.Second, MemoryBytes: 128 << 20, OutputChars: 10}
	for _, c := range []struct {
		res  sandbox.Result
		want string
	}{
		{sandbox.Result{Status: sandbox.StatusTimeout}, "Execution timed out after 2s"},
		{sandbox.Result{Status: sandbox.StatusMemoryLimit}, "Memory limit exceeded (128 MB)"},
		{sandbox.Result{Status: sandbox.StatusCancelled}, "Execution was cancelled"},
		{sandbox.Result{Status: sandbox.StatusError, Stage: sandbox.StageCompile}, "Compilation failed"},
		{sandbox.Result{Status: sandbox.StatusError, ExitCode: 3}, "Process exited with code 3"},
		{sandbox.Result{Status: sandbox.StatusError, Signal: "SIGSEGV", ExitCode: -1}, "Process killed by SIGSEGV"},
		{sandbox.Result{Status: sandbox.StatusError, Signal: "SIGKILL", Truncated: true}, "Output limit reached (10 characters); the program was stopped"},
		{sandbox.Result{Status: sandbox.StatusSuccess}, ""},
	} {
		if got := FailureMessage(Outcome{Result: c.res, Limits: lim}); got != c.want {
			t.Errorf("%+v: %q, want %q", c.res, got, c.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
