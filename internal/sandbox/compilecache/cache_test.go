package compilecache_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/sandbox/compilecache"
)

func run(t *testing.T, rt sandbox.Runtime, l sandbox.Language, code string) (sandbox.Result, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	res, err := rt.Run(context.Background(), sandbox.Request{Language: l, Files: []sandbox.File{{Content: []byte(code)}}, Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatal(err)
	}
	return res, out.String(), errb.String()
}

// TestCacheInTheSandbox: the second run of the same C program skips the
// compiler (one compile step fewer) and still shows its warning and prints
// the same; another program, or another compiler flag, compiles again.
func TestCacheInTheSandbox(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := compilecache.New(rt, 64<<20)
	cl := lang.Builtins()["c"].Language
	const code = "#include <stdio.h>\nint main(void) { int unused; printf(\"%d\\n\", 6 * 7); return 0; }\n"

	res1, out1, err1 := run(t, c, cl, code)
	res2, out2, err2 := run(t, c, cl, code)
	if res1.Status != sandbox.StatusSuccess || res2.Status != sandbox.StatusSuccess || out1 != "42\n" || out2 != out1 {
		t.Fatalf("runs: %+v %q / %+v %q", res1, out1, res2, out2)
	}
	if !strings.Contains(err1, "unused variable") || err2 != err1 {
		t.Fatalf("the compiler's warning is not replayed: first %q, second %q", err1, err2)
	}
	if h, m := c.Stats(); h != 1 || m != 1 {
		t.Fatalf("hits %d misses %d, want 1 and 1", h, m)
	}
	// The hit ran no compiler: its CPU time is the program's alone.
	if res2.CPUTime >= res1.CPUTime {
		t.Errorf("hit used %s of CPU, the miss %s", res2.CPUTime, res1.CPUTime)
	}
	run(t, c, cl, strings.Replace(code, "6 * 7", "6 * 8", 1))
	o2 := cl
	o2.Compile = append([]string(nil), cl.Compile...)
	o2.Compile[2] = "-O2"
	run(t, c, o2, code)
	if h, m := c.Stats(); h != 1 || m != 3 {
		t.Fatalf("hits %d misses %d, want 1 and 3", h, m)
	}
	// A compile error is never cached.
	bad := "int main(void) { return 0 }\n"
	run(t, c, cl, bad)
	if r, _, e := run(t, c, cl, bad); r.Stage != sandbox.StageCompile || !strings.Contains(e, "error") {
		t.Fatalf("compile error on the second run: %+v %q", r, e)
	}
}

// fake compiles by "producing" a binary and records what it was asked.
type fake struct{ compiles, runs int }

func (f *fake) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	if len(req.Language.Compile) > 0 {
		f.compiles++
		req.Stderr.Write([]byte("warning: w\n"))
		if req.Compiled != nil {
			req.Compiled([]sandbox.File{{Name: "main", Content: bytes.Repeat([]byte{1}, 600), Executable: true}})
		}
	}
	f.runs++
	req.Stdout.Write([]byte("ran\n"))
	return sandbox.Result{Status: sandbox.StatusSuccess, Stage: sandbox.StageRun}, nil
}

// TestCacheBoundedLRU: past the size bound the least recently used entry
// goes; an entry larger than the bound is never kept.
func TestCacheBoundedLRU(t *testing.T) {
	f := &fake{}
	c := compilecache.New(f, 1500) // two 600-byte entries (with their 11-byte warnings) fit, three don't
	l := sandbox.Language{Name: "x", FileName: "m.x", Compile: []string{"/bin/sh"}, Run: []string{"./main"}}
	for _, code := range []string{"a", "b", "a", "c", "a", "b"} {
		_, out, errb := run(t, c, l, code)
		if out != "ran\n" || errb != "warning: w\n" {
			t.Fatalf("%s: out %q err %q", code, out, errb)
		}
	}
	// a miss, b miss, a hit, c miss (evicts b), a hit, b miss
	if h, m := c.Stats(); h != 2 || m != 4 || f.compiles != 4 {
		t.Fatalf("hits %d misses %d compiles %d", h, m, f.compiles)
	}
	small := compilecache.New(f, 100)
	run(t, small, l, "z")
	run(t, small, l, "z")
	if h, _ := small.Stats(); h != 0 {
		t.Fatal("an entry over the bound was kept")
	}
}
