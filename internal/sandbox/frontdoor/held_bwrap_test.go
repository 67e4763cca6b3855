package frontdoor_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/sandbox/compilecache"
	"github.com/runblock/runblock/internal/sandbox/frontdoor"
	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

// heldNames are the built-in languages without a Python warm form: the
// server runs them on held sandboxes.
func heldNames() []string { return lang.Builtins().WarmNames("") }

// The conformance suite with every C run (compile step and run) on held
// sandboxes, Python's on warm ones.
func TestConformanceHeld(t *testing.T) {
	langs := config.DefaultLanguages()
	sandboxtest.Run(t, asRuns{openDoor(t, doorOpts{waitForWarm: true, held: []string{"c"}})}, sandboxtest.Languages{Python: langs["python"], C: langs["c"]})
}

// Every language's checks (hello, stdin, compile error, limits...) with
// its runs on held sandboxes. The budget keeps each kind's sandbox (as the
// server's does): with one for all, pools reclaim each other's and set up
// sandboxes while the checks run, and the fork bomb check is sensitive to
// that load (its shells may find no free pid before they are seen).
func TestLanguagesHeld(t *testing.T) {
	set := lang.Builtins()
	delete(set, "python")
	sandboxtest.RunLanguages(t, asRuns{openDoor(t, doorOpts{waitForWarm: true, held: heldNames(), heldBudget: 4})}, set, sandboxtest.LanguagePrograms)
}

func runC(t *testing.T, rt sandbox.Runtime, code string) (sandbox.Result, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	res, err := asRunsOf(rt).Run(context.Background(), sandbox.Request{
		Language: config.DefaultLanguages()["c"], Files: []sandbox.File{{Content: []byte(code)}}, Stdout: &out, Stderr: &errb,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res, out.String(), errb.String()
}

func asRunsOf(rt sandbox.Runtime) sandbox.Runtime {
	if f, ok := rt.(*frontdoor.FrontDoor); ok {
		return asRuns{f}
	}
	return ranAs{rt}
}

// ranAs admits a wrapper's runs (a compile cache over the front door) as runs.
type ranAs struct{ rt sandbox.Runtime }

func (r ranAs) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	return r.rt.Run(frontdoor.WithTicket(ctx, frontdoor.Ticket{Kind: frontdoor.KindRun}), req)
}

// Two consecutive C runs on held sandboxes see nothing of each other: not
// the first's /tmp, its attempt at /box, its processes.
func TestHeldRunsAreIsolated(t *testing.T) {
	var cold countingRuns
	f := openDoor(t, doorOpts{waitForWarm: true, budget: 1, held: []string{"c"}, backend: func(rt *bwrap.Runtime) sandbox.Runtime { cold.Runtime = rt; return &cold }})
	token := sandboxtest.UniqueToken()
	a := fmt.Sprintf(`#include <stdio.h>
#include <unistd.h>
int main(void) {
	FILE *t = fopen("/tmp/left-behind", "w");
	FILE *b = fopen("/box/left-behind", "w");
	printf("tmp %%d box %%d\n", t != NULL, b != NULL);
	fflush(stdout);
	if (fork() == 0) { setsid(); execl("/bin/sh", "sh", "-c", "exec -a %s sleep 600", (char *)0); }
	return 0;
}
`, token)
	res, out, stderr := runC(t, f, a)
	if res.Status != sandbox.StatusSuccess || out != "tmp 1 box 0\n" {
		t.Fatalf("run A: %+v %q %q", res, out, stderr)
	}
	sandboxtest.AssertNoProcess(t, token)
	b := `#include <stdio.h>
#include <dirent.h>
#include <ctype.h>
#include <unistd.h>
int main(void) {
	printf("tmp %d\n", access("/tmp/left-behind", F_OK) == 0);
	DIR *d = opendir("/box");
	struct dirent *e;
	while ((e = readdir(d))) if (e->d_name[0] != '.') printf("box %s\n", e->d_name);
	int n = 0;
	d = opendir("/proc");
	while ((e = readdir(d))) if (isdigit((unsigned char)e->d_name[0])) n++;
	printf("procs %d\n", n);
	return 0;
}
`
	res, out, stderr = runC(t, f, b)
	if res.Status != sandbox.StatusSuccess {
		t.Fatalf("run B: %+v %q", res, stderr)
	}
	// The program alone, as PID 1 (bwrap --as-pid-1): nothing of A's
	// sleeper. /box is in directory order.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "tmp 0" || lines[3] != "procs 1" || !strings.Contains(out, "box main\n") || !strings.Contains(out, "box main.c\n") {
		t.Fatalf("run B saw run A: %q", out)
	}
	if n := cold.runs.Load(); n != 0 {
		t.Fatalf("%d runs started cold", n)
	}
}

// Behind a compile cache both the miss (compile step) and the hit (the
// cached binary, no compile step) run on held sandboxes, with the same
// output, and the miss fills the cache from the held compile step.
func TestHeldRunsBehindCompileCache(t *testing.T) {
	var cold countingRuns
	f := openDoor(t, doorOpts{waitForWarm: true, held: []string{"c"}, backend: func(rt *bwrap.Runtime) sandbox.Runtime { cold.Runtime = rt; return &cold }})
	cache := compilecache.New(f, 16<<20)
	code := "#include <stdio.h>\nint main(void){ int unused; puts(\"cached\"); return 0; }\n"
	for i, want := range []int64{0, 1} {
		res, out, stderr := runC(t, cache, code)
		if res.Status != sandbox.StatusSuccess || out != "cached\n" || !strings.Contains(stderr, "unused") {
			t.Fatalf("run %d: %+v %q %q", i, res, out, stderr)
		}
		if hits, _ := cache.Stats(); hits != want {
			t.Fatalf("run %d: %d cache hits, want %d", i, hits, want)
		}
	}
	if n := cold.runs.Load(); n != 0 {
		t.Fatalf("%d runs started cold", n)
	}
}

func TestBrokenHeldPoolDegradesToColdStarts(t *testing.T) {
	var logs sandboxtest.SyncBuffer
	f := openDoor(t, doorOpts{held: []string{"c"}, log: slog.New(slog.NewTextHandler(&logs, nil)), backend: func(rt *bwrap.Runtime) sandbox.Runtime { return prestartFails{rt} }})
	for i := 0; i < 3; i++ {
		res, out, stderr := runC(t, f, "#include <stdio.h>\nint main(void){ puts(\"cold\"); return 0; }\n")
		if res.Status != sandbox.StatusSuccess || out != "cold\n" {
			t.Fatalf("run %d: %+v %q %q", i, res, out, stderr)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(logs.String(), "requests start cold") || !strings.Contains(logs.String(), "held c runs") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A probe (no ticket: a language's hello at start-up) starts cold and
// leaves no held pool behind to take budget from the runs' pools.
func TestProbesDoNotUseHeldSandboxes(t *testing.T) {
	var cold countingRuns
	f := openDoor(t, doorOpts{held: []string{"c"}, backend: func(rt *bwrap.Runtime) sandbox.Runtime { cold.Runtime = rt; return &cold }})
	var out bytes.Buffer
	res, err := f.Run(context.Background(), sandbox.Request{
		Language: config.DefaultLanguages()["c"], Files: []sandbox.File{{Content: []byte("#include <stdio.h>\nint main(void){ puts(\"probe\"); return 0; }\n")}}, Stdout: &out,
	})
	if err != nil || res.Status != sandbox.StatusSuccess || out.String() != "probe\n" {
		t.Fatalf("%v %+v %q", err, res, out.String())
	}
	time.Sleep(300 * time.Millisecond) // a pool, had one started, fills by now
	if n, idle := cold.runs.Load(), f.IdleRunSandboxes(); n != 1 || idle != 0 {
		t.Fatalf("%d cold runs, %d idle held sandboxes; want 1 and 0", n, idle)
	}
}

// BenchmarkHeldHello measures a language's hello-world (RUNBLOCK_BENCH_LANG,
// default c: compile step and run) from the front door's view, on a held
// sandbox (the timer stops while the pool refills, as it does between a
// learner's runs) and cold.
func BenchmarkHeldHello(b *testing.B) {
	name := os.Getenv("RUNBLOCK_BENCH_LANG")
	if name == "" {
		name = "c"
	}
	d, ok := lang.Builtins()[name]
	if !ok {
		b.Fatalf("no language %q", name)
	}
	for _, held := range []bool{true, false} {
		b.Run(fmt.Sprintf("held=%t", held), func(b *testing.B) {
			o := doorOpts{concurrent: 2, queue: 2, budget: 2, waitForWarm: true}
			if held {
				o.held = []string{name}
			}
			f := openDoor(b, o)
			run := func() {
				var out bytes.Buffer
				res, err := asRuns{f}.Run(context.Background(), sandbox.Request{Language: d.Language, Files: []sandbox.File{{Content: []byte(d.Hello)}}, Stdout: &out})
				if err != nil || res.Status != sandbox.StatusSuccess || !strings.Contains(out.String(), "Hello, World!") {
					b.Fatalf("%v %+v %q", err, res, out.String())
				}
			}
			run() // page cache; a held pool starts
			for b.Loop() {
				b.StopTimer()
				for held && f.IdleRunSandboxes() == 0 {
					time.Sleep(time.Millisecond)
				}
				b.StartTimer()
				run()
			}
		})
	}
}

// A held sandbox older than MaxAge is retired, not used: the run starts
// cold, and the pool sets up a fresh one.
func TestHeldSandboxRetiredAfterMaxAge(t *testing.T) {
	var cold countingRuns
	f := openDoor(t, doorOpts{held: []string{"c"}, maxAge: 3 * time.Second, backend: func(rt *bwrap.Runtime) sandbox.Runtime { cold.Runtime = rt; return &cold }})
	if !f.Prewarm(sandbox.Request{Language: config.DefaultLanguages()["c"], Files: []sandbox.File{{}}}) {
		t.Fatal("c runs have no held form")
	}
	waitIdle := func() {
		deadline := time.Now().Add(time.Minute)
		for f.IdleRunSandboxes() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no held sandbox a minute after Prewarm")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitIdle()
	time.Sleep(3200 * time.Millisecond)
	if res, out, stderr := runC(t, f, "#include <stdio.h>\nint main(void){ puts(\"old\"); return 0; }\n"); res.Status != sandbox.StatusSuccess || out != "old\n" {
		t.Fatalf("%+v %q %q", res, out, stderr)
	}
	if n := cold.runs.Load(); n != 1 {
		t.Fatalf("%d cold runs: the run took a held sandbox past MaxAge", n)
	}
	waitIdle()
	if res, out, _ := runC(t, f, "#include <stdio.h>\nint main(void){ puts(\"new\"); return 0; }\n"); res.Status != sandbox.StatusSuccess || out != "new\n" {
		t.Fatalf("%+v %q", res, out)
	}
	if n := cold.runs.Load(); n != 1 {
		t.Fatalf("%d cold runs: the fresh held sandbox was not used", n)
	}
}
