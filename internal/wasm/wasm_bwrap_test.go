package wasm_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/sandbox/frontdoor"
	"github.com/runblock/runblock/internal/wasm"
)

// These tests compile in the real bubblewrap sandbox and run the modules in
// wazero: the same path as a learner's run with environment "wasm".

func newCompiler(t *testing.T) *wasm.Compiler {
	t.Helper()
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatalf("bwrap runtime: %v", err)
	}
	fd, err := frontdoor.New(frontdoor.Config{Backend: rt, Admitter: frontdoor.NewSimpleAdmitter(4, 64, 4, time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	c, err := wasm.NewCompiler(wasm.CompilerConfig{Runtime: fd, Limits: wasm.DefaultCompileLimits, CacheBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"c", "c++", "rust"} {
		if p := c.Probes(context.Background())[lang]; !p.OK {
			t.Fatalf("toolchain %s not usable: %s (scripts/setup.sh installs it)", lang, p.Reason)
		}
	}
	return c
}

func newRunner(t *testing.T) *wasm.Runner {
	t.Helper()
	r, err := wasm.NewRunner(context.Background(), 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r
}

func mustCompile(t *testing.T, c *wasm.Compiler, lang, src string) wasm.Module {
	t.Helper()
	res, err := c.Compile(context.Background(), lang, src)
	if err != nil {
		t.Fatalf("compile %s: %v", lang, err)
	}
	if !res.OK() {
		t.Fatalf("compile %s failed: %s %s", lang, res.Result.Status, res.Stderr)
	}
	return res.Module
}

type run struct {
	res            sandbox.Result
	stdout, stderr string
}

func runModule(t *testing.T, r *wasm.Runner, m wasm.Module, stdin string, lim sandbox.Limits) run {
	t.Helper()
	var out, errb bytes.Buffer
	req := sandbox.Request{Stdout: &out, Stderr: &errb, Limits: lim.Merge(sandbox.Limits{MemoryBytes: 64 << 20, WallTime: 10 * time.Second, OutputChars: 10000})}
	if stdin != "" {
		req.Stdin = strings.NewReader(stdin)
	}
	res, err := r.Run(context.Background(), m, req)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return run{res, out.String(), errb.String()}
}

const helloC = `#include <stdio.h>
int main(void) {
    char name[64];
    printf("hello from c\n");
    if (fgets(name, sizeof name, stdin)) printf("echo: %s", name);
    return 0;
}
`

const helloRust = `use std::io::BufRead;
fn main() {
    println!("hello from rust");
    for line in std::io::stdin().lock().lines() {
        println!("echo: {}", line.unwrap());
    }
}
`

func TestHelloAndStdinEcho(t *testing.T) {
	c, r := newCompiler(t), newRunner(t)
	for _, tc := range []struct{ lang, src, hello string }{
		{"c", helloC, "hello from c\n"},
		{"rust", helloRust, "hello from rust\n"},
		{"c++", "#include <iostream>\n#include <string>\nint main(){ std::string s; std::cout << \"hello from c++\" << std::endl; while (std::getline(std::cin, s)) std::cout << \"echo: \" << s << \"\\n\"; }\n", "hello from c++\n"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			m := mustCompile(t, c, tc.lang, tc.src)
			got := runModule(t, r, m, "", sandbox.Limits{})
			if got.res.Status != sandbox.StatusSuccess || got.stdout != tc.hello {
				t.Fatalf("hello: %+v stdout %q stderr %q", got.res, got.stdout, got.stderr)
			}
			got = runModule(t, r, m, "learner\n", sandbox.Limits{})
			if want := tc.hello + "echo: learner\n"; got.stdout != want {
				t.Fatalf("echo: stdout %q, want %q (stderr %q)", got.stdout, want, got.stderr)
			}
		})
	}
}

func TestExitCodeAndTrap(t *testing.T) {
	c, r := newCompiler(t), newRunner(t)
	m := mustCompile(t, c, "c", "#include <stdio.h>\nint main(void){ fprintf(stderr, \"bad\\n\"); return 3; }\n")
	got := runModule(t, r, m, "", sandbox.Limits{})
	if got.res.Status != sandbox.StatusError || got.res.ExitCode != 3 || got.stderr != "bad\n" {
		t.Fatalf("exit 3: %+v stderr %q", got.res, got.stderr)
	}
	m = mustCompile(t, c, "rust", "fn main() { let v: Vec<i32> = Vec::new(); let i = std::env::args().count() + 5; println!(\"{}\", v[i]); }\n")
	got = runModule(t, r, m, "", sandbox.Limits{})
	if got.res.Status != sandbox.StatusError || !strings.Contains(got.stderr, "index out of bounds") {
		t.Fatalf("panic: %+v stderr %q", got.res, got.stderr)
	}
}

func TestInfiniteLoopStopsAtTimeLimit(t *testing.T) {
	c, r := newCompiler(t), newRunner(t)
	m := mustCompile(t, c, "c", "int main(void){ volatile unsigned long n = 0; for (;;) n++; }\n")
	got := runModule(t, r, m, "", sandbox.Limits{WallTime: time.Second})
	if got.res.Status != sandbox.StatusTimeout {
		t.Fatalf("loop: %+v", got.res)
	}
}

func TestStdinWaitEndsAtTimeLimit(t *testing.T) {
	c, r := newCompiler(t), newRunner(t)
	m := mustCompile(t, c, "c", helloC)
	pr, pw := ioPipe()
	defer pw.Close()
	var out bytes.Buffer
	res, err := r.Run(context.Background(), m, sandbox.Request{Stdin: pr, Stdout: &out, Stderr: &out, Limits: sandbox.Limits{MemoryBytes: 64 << 20, WallTime: time.Second, OutputChars: 1000}})
	if err != nil || res.Status != sandbox.StatusTimeout {
		t.Fatalf("waiting for input: %+v %v", res, err)
	}
}

func TestOutputCap(t *testing.T) {
	c, r := newCompiler(t), newRunner(t)
	m := mustCompile(t, c, "c", "#include <stdio.h>\nint main(void){ for (;;) puts(\"flood flood flood\"); }\n")
	got := runModule(t, r, m, "", sandbox.Limits{OutputChars: 1000, WallTime: 20 * time.Second})
	if !got.res.Truncated || got.res.Status != sandbox.StatusError || got.res.Signal != "SIGKILL" {
		t.Fatalf("flood: %+v", got.res)
	}
	if n := len([]rune(got.stdout + got.stderr)); n > 1000 {
		t.Fatalf("flood passed %d characters, cap 1000", n)
	}
}

func TestMemoryLimit(t *testing.T) {
	c, r := newCompiler(t), newRunner(t)
	src := `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
char *keep[64];
int main(void) {
    long sum = 0;
    for (int i = 0; i < 64; i++) {
        keep[i] = malloc(4 << 20);
        if (!keep[i]) { fprintf(stderr, "out of memory after %d MiB\n", i * 4); return 1; }
        memset(keep[i], i, 4 << 20);
    }
    for (int i = 0; i < 64; i++) sum += keep[i][i];
    printf("held 256 MiB (%ld)\n", sum);
    return 0;
}
`
	m := mustCompile(t, c, "c", src)
	got := runModule(t, r, m, "", sandbox.Limits{MemoryBytes: 32 << 20})
	if got.res.Status != sandbox.StatusMemoryLimit || !strings.Contains(got.stderr, "out of memory") {
		t.Fatalf("32 MiB limit: %+v stdout %q stderr %q", got.res, got.stdout, got.stderr)
	}
	if got.res.MemoryPeak > 32<<20 {
		t.Fatalf("memory peak %d over the 32 MiB limit", got.res.MemoryPeak)
	}
	got = runModule(t, r, m, "", sandbox.Limits{MemoryBytes: 512 << 20})
	if got.res.Status != sandbox.StatusSuccess {
		t.Fatalf("512 MiB limit: %+v stderr %q", got.res, got.stderr)
	}
	rm := mustCompile(t, c, "rust", "fn main() { let mut v = Vec::new(); for _ in 0..64 { v.push(vec![1u8; 4 << 20]); } println!(\"{}\", v.len()); }\n")
	got = runModule(t, r, rm, "", sandbox.Limits{MemoryBytes: 32 << 20})
	if got.res.Status != sandbox.StatusMemoryLimit {
		t.Fatalf("rust 32 MiB limit: %+v stderr %q", got.res, got.stderr)
	}
}

func TestCompileErrorHasLineAndColumn(t *testing.T) {
	c := newCompiler(t)
	for _, tc := range []struct {
		lang, src string
		line, col int
	}{
		{"c", "#include <stdio.h>\nint main(void) {\n    x = 1;\n}\n", 3, 5},
		{"rust", "fn main() {\n    let x: i32 = \"a\";\n}\n", 2, 18},
		{"c++", "int main() {\n  return y;\n}\n", 2, 10},
	} {
		res, err := c.Compile(context.Background(), tc.lang, tc.src)
		if err != nil {
			t.Fatal(err)
		}
		if res.OK() || res.Result.Status != sandbox.StatusError || res.Result.Stage != sandbox.StageCompile {
			t.Fatalf("%s: want a compile failure, got %+v", tc.lang, res.Result)
		}
		var found bool
		for _, d := range res.Diagnostics {
			found = found || (d.Severity == "error" && d.Line == tc.line && d.Column == tc.col)
		}
		if !found {
			t.Fatalf("%s: no error at %d:%d in %+v\n%s", tc.lang, tc.line, tc.col, res.Diagnostics, res.Stderr)
		}
	}
}

func TestCacheHitDoesNotCompile(t *testing.T) {
	c := newCompiler(t)
	src := helloC + "/* cache test */\n"
	first, err := c.Compile(context.Background(), "c", src)
	if err != nil || !first.OK() || first.Cached {
		t.Fatalf("first compile: %+v %v", first, err)
	}
	compiles, _ := c.Stats()
	second, err := c.Compile(context.Background(), "c", src)
	if err != nil || !second.Cached || second.Module.Hash != first.Module.Hash {
		t.Fatalf("second compile: cached=%v hash %s vs %s, %v", second.Cached, second.Module.Hash, first.Module.Hash, err)
	}
	if n, hits := c.Stats(); n != compiles || hits < 1 {
		t.Fatalf("a cache hit compiled again: compiles %d→%d, hits %d", compiles, n, hits)
	}
	if m, ok := c.Cache().ByHash(first.Module.Hash); !ok || !bytes.Equal(m.Bytes, first.Module.Bytes) {
		t.Fatal("module not found by its hash")
	}
}
