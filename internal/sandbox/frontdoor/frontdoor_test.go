package frontdoor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

// echoRuntime copies stdin to stdout (a stand-in for a checker: nothing
// here runs code). With failWarm it refuses requests whose wall limit is
// longer than 10s, which only pool templates ask for.
type echoRuntime struct {
	failWarm bool
	runs     atomic.Int32
}

func (e *echoRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	e.runs.Add(1)
	if e.failWarm && req.Limits.WallTime > 10*time.Second {
		return sandbox.Result{}, errors.New("backend broken")
	}
	if req.Stdin != nil {
		done := make(chan struct{})
		go func() { _, _ = io.Copy(req.Stdout, req.Stdin); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			return sandbox.Result{Status: sandbox.StatusCancelled, ExitCode: -1}, nil
		}
	}
	return sandbox.Result{Status: sandbox.StatusSuccess}, nil
}

var checker = sandbox.Request{
	Language: sandbox.Language{Name: "checker", FileName: "c.py", Run: []string{"x"}},
	Files:    []sandbox.File{{Name: "c.py", Content: []byte("script")}},
	Limits:   sandbox.Limits{WallTime: time.Minute},
}

func newDoor(t *testing.T, rt sandbox.Runtime, log *slog.Logger) *FrontDoor {
	t.Helper()
	f, err := New(Config{Backend: rt, Admitter: NewSimpleAdmitter(2, 2, 2, time.Second), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func use(t *testing.T, f *FrontDoor, in string, wall time.Duration) (string, sandbox.Result) {
	t.Helper()
	req := checker
	var out bytes.Buffer
	req.Stdin, req.Stdout, req.Limits = strings.NewReader(in), &out, sandbox.Limits{WallTime: wall}
	res, err := f.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), res
}

func TestPoolServesMatchingRequests(t *testing.T) {
	rt := &echoRuntime{}
	f := newDoor(t, rt, nil)
	f.AddPool(PoolSpec{Template: checker, Size: 1, MaxAge: time.Minute})
	for f.takeWarmReady() == 0 {
		time.Sleep(time.Millisecond)
	}
	before := rt.runs.Load()
	if out, res := use(t, f, "hello", 5*time.Second); out != "hello" || res.Status != sandbox.StatusSuccess {
		t.Fatalf("warm: %q %+v", out, res)
	}
	// The warm one had started before the request: the request itself
	// started no new sandbox (the refill may have).
	if rt.runs.Load() > before+1 {
		t.Fatalf("runs %d → %d", before, rt.runs.Load())
	}
}

// A warm sandbox that never answers is cut off at the request's own limit,
// not the template's longer one; one past its age is retired unused.
func TestPoolWarmTimeoutAndAge(t *testing.T) {
	block := runtimeFunc(func(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
		<-ctx.Done() // never reads its input
		return sandbox.Result{Status: sandbox.StatusCancelled}, nil
	})
	p := newPool(PoolSpec{Template: checker, Size: 1, MaxAge: time.Minute}, block, slog.New(slog.DiscardHandler))
	defer p.close()
	var w *warm
	for w == nil {
		w = p.take()
		time.Sleep(time.Millisecond)
	}
	res, err := w.use(context.Background(), sandbox.Request{Stdin: strings.NewReader("{}"), Limits: sandbox.Limits{WallTime: 50 * time.Millisecond}})
	if err != nil || res.Status != sandbox.StatusTimeout {
		t.Fatalf("res %+v err %v", res, err)
	}
	p.spec.MaxAge = 0
	time.Sleep(10 * time.Millisecond)
	if w := p.take(); w != nil {
		t.Fatal("a sandbox past its age was handed out")
	}
}

// A pool whose backend can't start its sandboxes degrades to cold starts,
// says so once in the log, and requests still succeed.
func TestPoolWithBrokenBackendDegradesToCold(t *testing.T) {
	var logs sandboxtest.SyncBuffer
	rt := &echoRuntime{failWarm: true}
	f := newDoor(t, rt, slog.New(slog.NewTextHandler(&logs, nil)))
	f.AddPool(PoolSpec{Template: func() sandbox.Request { r := checker; r.Limits.WallTime = time.Hour; return r }(), Size: 2, MaxAge: time.Minute})
	for !strings.Contains(logs.String(), "requests start cold") {
		time.Sleep(5 * time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		if out, res := use(t, f, "x", 5*time.Second); out != "x" || res.Status != sandbox.StatusSuccess {
			t.Fatalf("cold fallback %d: %q %+v", i, out, res)
		}
	}
	if n := strings.Count(logs.String(), "requests start cold"); n != 1 {
		t.Fatalf("degradation logged %d times:\n%s", n, logs.String())
	}
}

// Sandboxes started under an entered context share its slot: a check and
// then the run of one request never wait for each other.
func TestEnterCarriesTheSlot(t *testing.T) {
	f, err := New(Config{Backend: &echoRuntime{}, Admitter: NewSimpleAdmitter(1, 0, 1, time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, release, err := f.Enter(context.Background(), Ticket{Kind: KindRun}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := f.Run(ctx, sandbox.Request{Language: checker.Language}); err != nil {
			t.Fatalf("run %d under the entered slot: %v", i, err)
		}
	}
	// Without it, the one slot is taken and the queue has no room.
	if _, err := f.Run(WithTicket(context.Background(), Ticket{Kind: KindRun}), sandbox.Request{Language: checker.Language}); !errors.Is(err, sandbox.ErrBusy) {
		t.Fatalf("second admission: %v", err)
	}
	release()
	if _, err := f.Run(WithTicket(context.Background(), Ticket{Kind: KindRun}), sandbox.Request{Language: checker.Language}); err != nil {
		t.Fatal(err)
	}
}

type runtimeFunc func(context.Context, sandbox.Request) (sandbox.Result, error)

func (f runtimeFunc) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	return f(ctx, req)
}
