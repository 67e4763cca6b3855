package sandboxtest

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
)

// RunLanguages runs the per-language checks for every language of set:
// hello, stdin (fixed and interactive), a runtime error, a compile error,
// the time, memory and output limits, no network and the pids limit. Each
// language needs its Programs in progs; a language without them fails, so
// an added language can't go unchecked.
func RunLanguages(t *testing.T, rt sandbox.Runtime, set lang.Set, progs map[string]Programs) {
	for _, name := range set.Names() {
		d := set[name]
		t.Run(name, func(t *testing.T) {
			p, ok := progs[name]
			if !ok {
				t.Fatalf("no conformance programs for language %q: add them to sandboxtest.LanguagePrograms", name)
			}
			s := &suite{rt: rt}
			l := d.Language
			t.Run("Hello", func(t *testing.T) { s.langHello(t, l, p) })
			t.Run("StdinEcho", func(t *testing.T) { s.langEcho(t, l, p) })
			t.Run("InteractiveInput", func(t *testing.T) { s.langPrompt(t, l, p) })
			t.Run("RuntimeError", func(t *testing.T) { s.langRuntimeError(t, l, p) })
			t.Run("CompileError", func(t *testing.T) { s.langCompileError(t, l, p) })
			t.Run("Timeout", func(t *testing.T) { s.langTimeout(t, l, p) })
			t.Run("MemoryLimit", func(t *testing.T) { s.langMemory(t, l, p) })
			t.Run("OutputFlood", func(t *testing.T) { s.langFlood(t, l, p) })
			t.Run("NoNetwork", func(t *testing.T) { s.langNetwork(t, l, p) })
			t.Run("ForkBombContained", func(t *testing.T) { s.langForkBomb(t, l, p) })
		})
	}
}

func (s *suite) langHello(t *testing.T, l sandbox.Language, p Programs) {
	r := s.run(t, context.Background(), l, p.Hello, "", sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if !strings.Contains(r.stdout, "Hello, World!") || r.res.ExitCode != 0 || r.res.Stage != sandbox.StageRun {
		t.Fatalf("stdout %q exit %d stage %s stderr %q", r.stdout, r.res.ExitCode, r.res.Stage, r.stderr)
	}
}

func (s *suite) langEcho(t *testing.T, l sandbox.Language, p Programs) {
	r := s.run(t, context.Background(), l, p.Echo, "Ada\nGrace\n", sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if i, j := strings.Index(r.stdout, "Ada"), strings.Index(r.stdout, "Grace"); i < 0 || j < i {
		t.Fatalf("stdout %q, want Ada then Grace", r.stdout)
	}
}

// langPrompt answers only after the prompt has arrived: the program's
// output must be streamed while it waits for input.
func (s *suite) langPrompt(t *testing.T, l sandbox.Language, p Programs) {
	inR, inW := io.Pipe()
	defer inW.Close()
	out := &markerWriter{at: func() {}}
	var errb SyncBuffer
	done := make(chan struct{})
	var res sandbox.Result
	var err error
	go func() {
		defer close(done)
		res, err = s.rt.Run(context.Background(), sandbox.Request{Language: l, Files: []sandbox.File{{Content: []byte(p.Prompt)}}, Stdin: inR, Stdout: out, Stderr: &errb})
	}()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "name?") {
		select {
		case <-done:
			t.Fatalf("ended before its prompt: %v %+v stdout %q stderr %q", err, res, out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no prompt after a minute: stdout %q", out.String())
		}
	}
	if strings.Contains(out.String(), "hi") {
		t.Fatalf("answered before the input: %q", out.String())
	}
	inW.Write([]byte("Ada\n"))
	inW.Close()
	<-done
	if err != nil || res.Status != sandbox.StatusSuccess || !strings.Contains(out.String(), "hi Ada") {
		t.Fatalf("err %v status %s stdout %q stderr %q", err, res.Status, out.String(), errb.String())
	}
}

func (s *suite) langRuntimeError(t *testing.T, l sandbox.Language, p Programs) {
	r := s.run(t, context.Background(), l, p.RuntimeError, "", sandbox.Limits{})
	expect(t, r, sandbox.StatusError)
	exit, has := p.ErrExit, p.StderrHas
	if exit == 0 {
		exit = 3
	}
	if has == "" {
		has = "boom"
	}
	if r.res.ExitCode != exit || !strings.Contains(r.stderr, has) || r.res.Stage != sandbox.StageRun {
		t.Fatalf("exit %d (want %d) stage %s stderr %q (want %q)", r.res.ExitCode, exit, r.res.Stage, r.stderr, has)
	}
}

func (s *suite) langCompileError(t *testing.T, l sandbox.Language, p Programs) {
	r := s.run(t, context.Background(), l, p.CompileError, "", sandbox.Limits{})
	expect(t, r, sandbox.StatusError)
	want := sandbox.StageRun
	if len(l.Compile) > 0 {
		want = sandbox.StageCompile
	}
	// tsc writes its errors to stdout; either way the learner sees them.
	if r.res.Stage != want || strings.TrimSpace(r.stdout+r.stderr) == "" {
		t.Fatalf("stage %s (want %s) stdout %q stderr %q", r.res.Stage, want, r.stdout, r.stderr)
	}
}

func (s *suite) langTimeout(t *testing.T, l sandbox.Language, p Programs) {
	const limit = 3 * time.Second
	r := s.run(t, context.Background(), l, p.Loop, "", sandbox.Limits{WallTime: limit})
	expect(t, r, sandbox.StatusTimeout)
	if r.res.Stage != sandbox.StageRun {
		t.Fatalf("timed out in the %s step", r.res.Stage)
	}
}

// langMemory: runtimes with their own heap limit (the JVM, V8) must leave
// the limit to the sandbox, so that the learner sees memory_limit.
func (s *suite) langMemory(t *testing.T, l sandbox.Language, p Programs) {
	r := s.run(t, context.Background(), l, p.Memory, "", sandbox.Limits{})
	expect(t, r, sandbox.StatusMemoryLimit)
	if !r.res.OOMKilled || r.res.Stage != sandbox.StageRun {
		t.Fatalf("OOMKilled %v stage %s", r.res.OOMKilled, r.res.Stage)
	}
}

func (s *suite) langFlood(t *testing.T, l sandbox.Language, p Programs) {
	start := time.Now()
	r := s.run(t, context.Background(), l, p.Flood, "", sandbox.Limits{WallTime: 30 * time.Second})
	if !r.res.Truncated || len([]rune(r.stdout+r.stderr)) != 10000 {
		t.Fatalf("truncated=%v chars=%d status %s", r.res.Truncated, len([]rune(r.stdout+r.stderr)), r.res.Status)
	}
	if r.res.Status == sandbox.StatusTimeout || time.Since(start) > 25*time.Second {
		t.Fatalf("flooding program ran to the wall limit: %s after %s", r.res.Status, time.Since(start))
	}
}

func (s *suite) langNetwork(t *testing.T, l sandbox.Language, p Programs) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	r := s.run(t, context.Background(), l, strings.ReplaceAll(p.Network, "PORT", port), "", sandbox.Limits{})
	if strings.Contains(r.stdout, "CONNECTED") || !strings.Contains(r.stdout, "failed") {
		t.Fatalf("network reachable, or the attempt never made (status %s):\nstdout %q\nstderr %q", r.res.Status, r.stdout, r.stderr)
	}
}

func (s *suite) langForkBomb(t *testing.T, l sandbox.Language, p Programs) {
	token := UniqueToken()
	code := strings.NewReplacer("TOKEN", token, "MARK", Marker).Replace(p.ForkBomb)
	var seen []string
	r := s.observed(t, context.Background(), l, code, sandbox.Limits{WallTime: 20 * time.Second}, func() { seen = waitProcess(token) })
	assertSeen(t, token, seen)
	if len(seen) >= 64 {
		t.Fatalf("%d processes seen, past the pids limit of 64", len(seen))
	}
	if r.res.Status == sandbox.StatusMemoryLimit {
		t.Fatalf("status %s", r.res.Status)
	}
	AssertNoProcess(t, token)
}
