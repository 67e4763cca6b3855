package frontdoor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/sandbox/frontdoor"
	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
	"github.com/runblock/runblock/internal/validate"
)

// boot is the server's warm starter (the policy-less guard).
func boot() sandbox.File {
	name, content := validate.StartScript("/usr/bin/python3")
	return sandbox.File{Name: name, Content: content}
}

// These run real bubblewrap sandboxes (as root; the runtime drops to
// leased uids itself).

type doorOpts struct {
	concurrent, queue int
	wait              time.Duration
	budget            int
	waitForWarm       bool
	held              []string // languages on held sandboxes
	heldBudget        int
	maxAge            time.Duration
	log               *slog.Logger
	backend           func(*bwrap.Runtime) sandbox.Runtime
}

func openDoor(t testing.TB, o doorOpts) *frontdoor.FrontDoor {
	t.Helper()
	if o.concurrent == 0 {
		o.concurrent = 8
	}
	if o.wait == 0 {
		o.wait = time.Minute
	}
	if o.budget == 0 {
		o.budget = 4
	}
	rt, err := bwrap.New(context.Background(), bwrap.Config{Slots: o.concurrent + o.budget + o.heldBudget + 4, Logger: o.log})
	if err != nil {
		t.Fatal(err)
	}
	var backend sandbox.Runtime = rt
	if o.backend != nil {
		backend = o.backend(rt)
	}
	f, err := frontdoor.New(frontdoor.Config{Backend: backend, Admitter: frontdoor.NewSimpleAdmitter(o.concurrent, o.queue, 4, o.wait), Logger: o.log})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.EnableRunPool(frontdoor.RunPoolOptions{Languages: []string{"python"}, Budget: o.budget, WaitForWarm: o.waitForWarm, Boot: boot(), Held: o.held, HeldBudget: o.heldBudget, MaxAge: o.maxAge}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(); rt.Close() })
	return f
}

// asRuns admits the suite's sandboxes as runs (without a ticket the front
// door treats them as probes, which have a small reserve).
type asRuns struct{ f *frontdoor.FrontDoor }

func (a asRuns) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	return a.f.Run(frontdoor.WithTicket(ctx, frontdoor.Ticket{Kind: frontdoor.KindRun}), req)
}

// The conformance suite through the front door: every Python run on a warm
// sandbox (the run waits for its pool), and through the cold path.
func TestConformanceWarm(t *testing.T) {
	langs := config.DefaultLanguages()
	sandboxtest.Run(t, asRuns{openDoor(t, doorOpts{waitForWarm: true})}, sandboxtest.Languages{Python: langs["python"], C: langs["c"]})
}

func runPy(t *testing.T, f *frontdoor.FrontDoor, code string, lim sandbox.Limits) (sandbox.Result, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	res, err := asRuns{f}.Run(context.Background(), sandbox.Request{
		Language: config.DefaultLanguages()["python"], Files: []sandbox.File{{Content: []byte(code)}},
		Stdout: &out, Stderr: &errb, Limits: lim,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res, out.String(), errb.String()
}

// Two consecutive runs on pooled sandboxes see nothing of each other:
// files, environment, processes, patched modules.
func TestWarmRunsAreIsolated(t *testing.T) {
	f := openDoor(t, doorOpts{waitForWarm: true, budget: 1})
	token := sandboxtest.UniqueToken()
	a := fmt.Sprintf(`import os, json, sys, subprocess
open("/tmp/left-behind", "w").write("a")
os.environ["RUN_A"] = "1"
json.dumps = lambda *a, **k: "patched"
sys.modules["json"].marker = "a"
subprocess.Popen(["/bin/sh", "-c", "exec -a %s sleep 600"], start_new_session=True)
print("pid", os.getpid(), json.dumps(1))
`, token)
	res, out, stderr := runPy(t, f, a, sandbox.Limits{})
	if res.Status != sandbox.StatusSuccess || !strings.Contains(out, "patched") {
		t.Fatalf("run A: %+v %q %q", res, out, stderr)
	}
	sandboxtest.AssertNoProcess(t, token)
	b := `import os, json, sys
print(os.path.exists("/tmp/left-behind"), "RUN_A" in os.environ, json.dumps(1), hasattr(json, "marker"), sys.argv, __name__)
print(sorted(p for p in os.listdir("/proc") if p.isdigit()))
`
	res, out, stderr = runPy(t, f, b, sandbox.Limits{})
	if res.Status != sandbox.StatusSuccess {
		t.Fatalf("run B: %+v %q", res, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "False False 1 False ['main.py'] __main__" {
		t.Fatalf("run B saw run A: %q", lines[0])
	}
	// The program alone, as PID 1 (bwrap --as-pid-1): nothing of A's sleeper.
	if lines[1] != "['1']" {
		t.Fatalf("run B sees processes %s", lines[1])
	}
}

// The program gets its whole memory limit on top of what the warm start
// (and the preloaded libraries) took, and memory_peak_bytes is its own.
func TestWarmMemoryLimitIsTheProgramsOwn(t *testing.T) {
	f := openDoor(t, doorOpts{waitForWarm: true, budget: 2})
	lim := sandbox.Limits{MemoryBytes: 128 << 20, WallTime: 30 * time.Second}
	for _, pre := range []string{"", "import numpy\n"} {
		res, _, stderr := runPy(t, f, pre+"b = bytearray(112 << 20)\nb[::4096] = b'x' * len(b[::4096])\nprint('ok')", lim)
		if res.Status != sandbox.StatusSuccess {
			t.Fatalf("%q 112 MB: %+v %s", pre, res, stderr)
		}
		if res.MemoryPeak < 112<<20 || res.MemoryPeak > 128<<20 {
			t.Fatalf("%q memory peak %d MB, want the program's ~112 MB", pre, res.MemoryPeak>>20)
		}
		res, _, _ = runPy(t, f, pre+"b = bytearray(130 << 20)\nb[::4096] = b'x' * len(b[::4096])\nprint('ok')", lim)
		if res.Status != sandbox.StatusMemoryLimit {
			t.Fatalf("%q 130 MB: %+v", pre, res)
		}
	}
}

// prestartFails is a backend whose warm starts fail (cold runs work).
type prestartFails struct{ *bwrap.Runtime }

func (prestartFails) Prestart(context.Context, sandbox.Request, int64) (sandbox.Held, error) {
	return nil, errors.New("broken on purpose")
}

func (prestartFails) Hold(context.Context, sandbox.Request) (sandbox.Held, error) {
	return nil, errors.New("broken on purpose")
}

func TestBrokenWarmPoolDegradesToColdStarts(t *testing.T) {
	var logs sandboxtest.SyncBuffer
	f := openDoor(t, doorOpts{log: slog.New(slog.NewTextHandler(&logs, nil)), backend: func(rt *bwrap.Runtime) sandbox.Runtime { return prestartFails{rt} }})
	for i := 0; i < 3; i++ {
		res, out, stderr := runPy(t, f, "print('cold')", sandbox.Limits{})
		if res.Status != sandbox.StatusSuccess || out != "cold\n" {
			t.Fatalf("run %d: %+v %q %q", i, res, out, stderr)
		}
	}
	for !strings.Contains(logs.String(), "requests start cold") {
		time.Sleep(10 * time.Millisecond)
	}
}

// A burst larger than the pool is served: the runs beyond it queue for a
// slot and start cold or warm; none is refused within queue_wait.
func TestBurstLargerThanPool(t *testing.T) {
	f := openDoor(t, doorOpts{concurrent: 2, queue: 16, wait: 2 * time.Minute, budget: 2})
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var out bytes.Buffer
			res, err := asRuns{f}.Run(context.Background(), sandbox.Request{
				Language: config.DefaultLanguages()["python"], Files: []sandbox.File{{Content: []byte(fmt.Sprintf("print(%d)", i))}}, Stdout: &out,
			})
			if err != nil || res.Status != sandbox.StatusSuccess || out.String() != fmt.Sprintf("%d\n", i) {
				errs <- fmt.Errorf("run %d: %v %+v %q", i, err, res, out.String())
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BenchmarkWarmHello measures a hello-world run on a warm sandbox, from
// the front door's view (the pool refills between iterations' waits).
// RUNBLOCK_BENCH_CODE replaces the program (e.g. a numpy snippet).
func BenchmarkWarmHello(b *testing.B) {
	code := "print('Hello, World!')"
	if c := os.Getenv("RUNBLOCK_BENCH_CODE"); c != "" {
		code = c
	}
	f := openDoor(b, doorOpts{concurrent: 4, queue: 4, budget: 4, waitForWarm: true})
	py := config.DefaultLanguages()["python"]
	var wall, cpu time.Duration
	for b.Loop() {
		res, err := asRuns{f}.Run(context.Background(), sandbox.Request{Language: py, Files: []sandbox.File{{Content: []byte(code)}}})
		if err != nil || res.Status != sandbox.StatusSuccess {
			b.Fatalf("%v %+v", err, res)
		}
		wall += res.WallTime
		cpu += res.CPUTime
	}
	b.ReportMetric(float64(wall.Microseconds())/float64(b.N), "program-µs/op")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// figureRecorder keeps a run's stdout and images in the order delivered,
// images as [img:<alt>].
type figureRecorder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (r *figureRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.b.Write(p)
	return len(p), nil
}

func (r *figureRecorder) image(im sandbox.Image) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(&r.b, "[img:%s]", im.Alt)
}

func (r *figureRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.String()
}

// figureProgram reports whether pyplot was imported before its first line
// (only a warm sandbox of the matplotlib flavour has it) and the backend.
const figureProgram = `import sys
print("preloaded", "matplotlib.pyplot" in sys.modules)
import matplotlib
import matplotlib.pyplot as plt
print("backend", matplotlib.get_backend())
plt.plot([1, 2, 3])
plt.title("line")
plt.show()
print("after")
`

func runFigure(t *testing.T, rt sandbox.Runtime) string {
	t.Helper()
	var rec figureRecorder
	var errb bytes.Buffer
	res, err := rt.Run(frontdoor.WithTicket(context.Background(), frontdoor.Ticket{Kind: frontdoor.KindRun}), sandbox.Request{
		Language: config.DefaultLanguages()["python"], Files: []sandbox.File{{Content: []byte(figureProgram)}},
		Stdout: &rec, Stderr: &errb, Images: rec.image,
	})
	if err != nil || res.Status != sandbox.StatusSuccess {
		t.Fatalf("run: %v %+v %s", err, res, errb.String())
	}
	return rec.String()
}

// A warm sandbox starts with the figure channel in place (sitecustomize
// runs at the interpreter's start, and the matplotlib flavour imports
// pyplot ahead with runblock's backend), so its figure comes out between
// the text around it as a cold run's does.
func TestFigureOnWarmAndColdRuns(t *testing.T) {
	const shown = "backend module://runblock_mpl\n[img:Figure 1: line]after\n"
	warm := runFigure(t, asRuns{openDoor(t, doorOpts{waitForWarm: true})})
	if want := "preloaded True\n" + shown; warm != want {
		t.Errorf("warm run:\n got %q\nwant %q", warm, want)
	}

	rt, err := bwrap.New(context.Background(), bwrap.Config{Slots: 4})
	if err != nil {
		t.Fatal(err)
	}
	cold, err := frontdoor.New(frontdoor.Config{Backend: rt, Admitter: frontdoor.NewSimpleAdmitter(2, 2, 4, time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cold.Close(); rt.Close() })
	if got, want := runFigure(t, cold), "preloaded False\n"+shown; got != want {
		t.Errorf("cold run:\n got %q\nwant %q", got, want)
	}
}

// A warm run ends as python3 main.py would: threads joined, atexit
// handlers run, exit status and traceback (without the boot's frames) kept.
func TestWarmRunEndsAsPython(t *testing.T) {
	f := openDoor(t, doorOpts{waitForWarm: true, budget: 1})
	res, out, _ := runPy(t, f, "import atexit, threading\natexit.register(lambda: print('bye'))\nt = threading.Thread(target=lambda: print('thread'))\nt.start()\nprint('hi')\n", sandbox.Limits{})
	if res.Status != sandbox.StatusSuccess || !strings.Contains(out, "thread") || !strings.HasSuffix(out, "bye\n") {
		t.Fatalf("%+v %q", res, out)
	}
	res, _, _ = runPy(t, f, "import sys\nsys.exit(3)\n", sandbox.Limits{})
	if res.ExitCode != 3 {
		t.Fatalf("sys.exit(3): %+v", res)
	}
	res, _, stderr := runPy(t, f, "def f():\n    1/0\nf()\n", sandbox.Limits{})
	if res.ExitCode != 1 || !strings.HasPrefix(stderr, "Traceback (most recent call last):\n  File \"/box/main.py\", line 3") || strings.Contains(stderr, "runblock_") || !strings.Contains(stderr, "ZeroDivisionError") {
		t.Fatalf("%+v %q", res, stderr)
	}
}

// Prewarm starts a kind's pool before its first run, and that first run
// then takes a sandbox from it (the door here starts cold rather than wait).
func TestPrewarmStartsThePoolBeforeAnyRun(t *testing.T) {
	var cold countingRuns
	f := openDoor(t, doorOpts{budget: 2, backend: func(rt *bwrap.Runtime) sandbox.Runtime { cold.Runtime = rt; return &cold }})
	req := sandbox.Request{Language: config.DefaultLanguages()["python"], Files: []sandbox.File{{}}}
	if !f.Prewarm(req) {
		t.Fatal("python runs have no warm form")
	}
	deadline := time.Now().Add(time.Minute)
	for f.IdleRunSandboxes() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no warm sandbox a minute after Prewarm")
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := f.IdleRunSandboxes()
	res, out, stderr := runPy(t, f, "print('first')", sandbox.Limits{})
	if res.Status != sandbox.StatusSuccess || out != "first\n" {
		t.Fatalf("first run: %+v %q %q", res, out, stderr)
	}
	if n := cold.runs.Load(); n != 0 {
		t.Fatalf("the first run after Prewarm started cold (%d cold runs)", n)
	}
	if c := config.DefaultLanguages()["c"]; f.Prewarm(sandbox.Request{Language: c, Files: []sandbox.File{{}}}) {
		t.Fatal("a compiled language got a warm pool")
	}
	t.Logf("idle before the first run: %d", before)
}

// countingRuns counts cold starts; prestarts go to the runtime as they are.
type countingRuns struct {
	*bwrap.Runtime
	runs atomic.Int32
}

func (c *countingRuns) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	c.runs.Add(1)
	return c.Runtime.Run(ctx, req)
}
