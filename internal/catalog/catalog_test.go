package catalog

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
)

var builtin = lang.Builtins()

// probeRuntime is a unit-test fake: it answers the catalog's two probes with
// canned output, or ends them the way a cancelled run ends.
type probeRuntime struct {
	mu     sync.Mutex
	cancel bool // end every probe as cancelled, with no output
	runs   int
}

func (p *probeRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runs++
	if p.cancel {
		return sandbox.Result{Status: sandbox.StatusCancelled, ExitCode: -1}, nil
	}
	switch {
	case req.Language.FileName == "probe.py":
		_, _ = req.Stdout.Write([]byte(`{"python": "3.11.2", "packages": ["numpy==1.24.2", "pandas==1.5.3"]}` + "\n"))
	case req.Language.Name == "probe" && req.Language.Run[0] == "/usr/bin/python3":
		_, _ = req.Stdout.Write([]byte("Python 3.11.2\n"))
	case req.Language.Name == "probe":
		_, _ = req.Stdout.Write([]byte("12.2.0\n"))
	default: // a hello-world
		_, _ = req.Stdout.Write([]byte("Hello, World!\n"))
	}
	return sandbox.Result{Status: sandbox.StatusSuccess}, nil
}

func (p *probeRuntime) set(cancel bool) (runs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cancel = cancel
	return p.runs
}

func serverFacts(t *testing.T, c *Catalog) (langs, pkgs string) {
	t.Helper()
	envs := c.Environments(context.Background())
	if len(envs) < 4 || envs[1].ID != "server" || envs[2].ID != "docker" {
		t.Fatalf("environments %+v", envs)
	}
	var l []string
	for _, lang := range envs[1].Languages {
		l = append(l, lang.Name+" "+lang.Version)
	}
	return strings.Join(l, ", "), strings.Join(envs[1].Packages, ", ")
}

// TestProbeThatDidNotFinishIsRetried: the first request's probe may be cut
// short (its client went away, the machine was busy); that must not leave
// the catalog without versions and packages until the server restarts.
func TestProbeThatDidNotFinishIsRetried(t *testing.T) {
	rt := &probeRuntime{cancel: true}
	clock := time.Unix(1_700_000_000, 0)
	c := New(rt, func(context.Context) sandbox.Report { return sandbox.Report{Strong: true} }, "fake",
		lang.Set{"python": builtin["python"], "c": builtin["c"]}, sandbox.Limits{MemoryBytes: 128 << 20})
	c.now = func() time.Time { return clock }

	if langs, pkgs := serverFacts(t, c); langs != "c , python " || pkgs != "" {
		t.Fatalf("after a cancelled probe: languages %q, packages %q", langs, pkgs)
	}
	// Not probed again on every request: that would let clients load the machine.
	rt.set(false)
	clock = clock.Add(recheckAfter)
	if langs, _ := serverFacts(t, c); langs != "c , python " {
		t.Fatalf("probed again within %s: %q", recheckAfter, langs)
	}
	clock = clock.Add(time.Second)
	want := "c gcc 12.2.0, python 3.11.2"
	if langs, pkgs := serverFacts(t, c); langs != want || pkgs != "numpy==1.24.2, pandas==1.5.3" {
		t.Fatalf("after the retry: languages %q, packages %q", langs, pkgs)
	}
	// Complete facts are kept: no more probes, even when they would fail.
	runs := rt.set(true)
	clock = clock.Add(time.Hour)
	if langs, _ := serverFacts(t, c); langs != want {
		t.Fatalf("complete facts replaced: %q", langs)
	}
	if after := rt.set(true); after != runs {
		t.Fatalf("%d probes after the facts were complete", after-runs)
	}
}
