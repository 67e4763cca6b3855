package wasm

import (
	"context"
	"encoding/base64"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// gateRuntime is a fake sandbox for the compiler's own logic (sharing one
// compile, caching): each run waits for the gate, then "compiles" to an
// empty module, or reports cancelled when its context ended.
type gateRuntime struct {
	gate chan struct{}
	runs atomic.Int32
}

func (g *gateRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	g.runs.Add(1)
	select {
	case <-g.gate:
	case <-ctx.Done():
		return sandbox.Result{Status: sandbox.StatusCancelled, Stage: sandbox.StageCompile, ExitCode: -1}, nil
	}
	req.Stdout.Write([]byte(base64.StdEncoding.EncodeToString([]byte("\x00asm\x01\x00\x00\x00"))))
	return sandbox.Result{Status: sandbox.StatusSuccess, Stage: sandbox.StageRun}, nil
}

func fakeCompiler(t *testing.T, rt sandbox.Runtime) *Compiler {
	t.Helper()
	c, err := NewCompiler(CompilerConfig{Runtime: rt, Toolchains: []Toolchain{{Language: "c", FileName: "main.c", Argv: []string{"cc"}, VersionArgv: []string{"/bin/echo", "fake cc 1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Has(context.Background(), "c") {
		t.Fatalf("probe: %+v", c.Probes(context.Background()))
	}
	return c
}

func TestConcurrentCompilesShareOneSandboxRun(t *testing.T) {
	rt := &gateRuntime{gate: make(chan struct{})}
	c := fakeCompiler(t, rt)
	var wg sync.WaitGroup
	results := make([]Compiled, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = c.Compile(context.Background(), "c", "int main(){}")
		}()
	}
	for rt.runs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others find the compile in flight
	close(rt.gate)
	wg.Wait()
	if n := rt.runs.Load(); n != 1 {
		t.Fatalf("%d sandbox runs for one source", n)
	}
	for _, r := range results {
		if !r.OK() || r.Module.Hash != results[0].Module.Hash {
			t.Fatalf("results differ: %+v", results)
		}
	}
}

func TestWaiterCompilesWhenTheFirstCallerLeaves(t *testing.T) {
	rt := &gateRuntime{gate: make(chan struct{})}
	c := fakeCompiler(t, rt)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan Compiled)
	go func() { r, _ := c.Compile(ctx, "c", "src"); first <- r }()
	for rt.runs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan Compiled)
	go func() { r, _ := c.Compile(context.Background(), "c", "src"); second <- r }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if r := <-first; r.Result.Status != sandbox.StatusCancelled {
		t.Fatalf("first caller: %+v", r.Result)
	}
	for rt.runs.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	close(rt.gate)
	if r := <-second; !r.OK() {
		t.Fatalf("second caller got %+v", r.Result)
	}
}
