package bwrap

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

type outcome struct {
	res            sandbox.Result
	stdout, stderr string
	artifacts      []sandbox.File
}

func holdRun(t *testing.T, rt *Runtime, ctx context.Context, req sandbox.Request) outcome {
	t.Helper()
	h, err := rt.Hold(context.Background(), sandbox.Request{Language: req.Language, Limits: req.Limits})
	if err != nil {
		t.Fatalf("hold: %v", err)
	}
	var o outcome
	var out, errb sandboxtest.SyncBuffer
	o.res, err = h.Go(ctx, sandbox.HeldRun{
		Files: req.Files, Stdin: req.Stdin, Stdout: &out, Stderr: &errb,
		Compiled: func(f []sandbox.File) { o.artifacts = f }, Wall: req.Limits.WallTime,
	})
	if err != nil {
		t.Fatalf("go: %v", err)
	}
	o.stdout, o.stderr = out.String(), errb.String()
	return o
}

func coldRun(t *testing.T, rt *Runtime, req sandbox.Request) outcome {
	t.Helper()
	var o outcome
	var out, errb sandboxtest.SyncBuffer
	req.Stdout, req.Stderr = &out, &errb
	req.Compiled = func(f []sandbox.File) { o.artifacts = f }
	res, err := rt.Run(context.Background(), req)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	o.res, o.stdout, o.stderr = res, out.String(), errb.String()
	return o
}

func newRuntime(t *testing.T) *Runtime {
	t.Helper()
	rt, err := New(context.Background(), Config{Slots: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// A held run ends as the same cold run does: status, stage, exit code,
// limits, output and the compile step's artifacts; its accounting is the
// program's (bwrap's set-up is not in it).
func TestHeldRunMatchesColdRun(t *testing.T) {
	rt := newRuntime(t)
	langs := config.DefaultLanguages()
	c, bash := langs["c"], langs["bash"]
	file := func(code string) []sandbox.File { return []sandbox.File{{Content: []byte(code)}} }
	cases := []struct {
		name string
		req  sandbox.Request
	}{
		{"c hello", sandbox.Request{Language: c, Files: file("#include <stdio.h>\nint main(void){ puts(\"hi\"); return 0; }\n")}},
		{"c stdin", sandbox.Request{Language: c, Files: file("#include <stdio.h>\nint main(void){ char b[64]; fgets(b, 64, stdin); printf(\"got %s\", b); return 0; }\n"), Stdin: strings.NewReader("line\n")}},
		{"c exit 3", sandbox.Request{Language: c, Files: file("#include <stdio.h>\nint main(void){ fputs(\"bad\\n\", stderr); return 3; }\n")}},
		{"c compile error", sandbox.Request{Language: c, Files: file("int main(void){ return 0 }\n"), Limits: sandbox.Limits{WallTime: 7 * time.Second}}},
		{"c timeout", sandbox.Request{Language: c, Files: file("int main(void){ for(;;); }\n"), Limits: sandbox.Limits{WallTime: time.Second}}},
		{"c truncated", sandbox.Request{Language: c, Files: file("#include <stdio.h>\nint main(void){ for(int i=0;i<1000;i++) puts(\"0123456789\"); return 0; }\n"), Limits: sandbox.Limits{OutputChars: 100}}},
		{"bash", sandbox.Request{Language: bash, Files: file("echo hi; echo oops >&2; exit 4\n")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cold := coldRun(t, rt, tc.req)
			if tc.req.Stdin != nil {
				tc.req.Stdin = strings.NewReader("line\n")
			}
			held := holdRun(t, rt, context.Background(), tc.req)
			a, b := cold.res, held.res
			if a.Status != b.Status || a.Stage != b.Stage || a.ExitCode != b.ExitCode || a.Signal != b.Signal || a.Limits != b.Limits || a.Truncated != b.Truncated {
				t.Fatalf("held %+v\ncold %+v", b, a)
			}
			if cold.stdout != held.stdout || cold.stderr != held.stderr {
				t.Fatalf("held output %q %q, cold %q %q", held.stdout, held.stderr, cold.stdout, cold.stderr)
			}
			if len(cold.artifacts) != len(held.artifacts) {
				t.Fatalf("held artifacts %d, cold %d", len(held.artifacts), len(cold.artifacts))
			}
			if b.Status == sandbox.StatusSuccess && (b.CPUTime <= 0 || b.CPUTime > a.CPUTime+time.Second || b.MemoryPeak <= 0 || b.MemoryPeak > a.MemoryPeak+(8<<20)) {
				t.Fatalf("held accounting cpu %s peak %d, cold cpu %s peak %d", b.CPUTime, b.MemoryPeak, a.CPUTime, a.MemoryPeak)
			}
			t.Logf("cpu held %s cold %s, peak held %d cold %d, wall held %s cold %s", b.CPUTime, a.CPUTime, b.MemoryPeak, a.MemoryPeak, b.WallTime, a.WallTime)
		})
	}
	// A compile cache's hit: no compile step, the binary among the files.
	first := holdRun(t, rt, context.Background(), cases[0].req)
	if len(first.artifacts) != 1 || first.artifacts[0].Name != "main" || !first.artifacts[0].Executable {
		t.Fatalf("artifacts %+v", first.artifacts)
	}
	hit := sandbox.Request{Language: c, Files: append(file("ignored"), first.artifacts...)}
	hit.Language.Compile = nil
	if o := holdRun(t, rt, context.Background(), hit); o.res.Status != sandbox.StatusSuccess || o.stdout != "hi\n" {
		t.Fatalf("cached binary on a held sandbox: %+v %q %q", o.res, o.stdout, o.stderr)
	}
}

// slowCompile is a language whose compile step runs its source: the test's
// token is in that process's argv only, not in bwrap's.
func slowCompile(compileWall time.Duration) sandbox.Language {
	return sandbox.Language{
		Name: "slow", FileName: "main.sh",
		Compile:       []string{"/usr/bin/bash", "main.sh"},
		CompileLimits: sandbox.Limits{WallTime: compileWall},
		Run:           []string{"/usr/bin/bash", "-c", "echo ran"},
	}
}

// Stop during the compile step ends it with Stage compile and kills both
// held sandboxes: the compiler's tree and the run's, which never started.
func TestHeldStopKillsBothStages(t *testing.T) {
	rt := newRuntime(t)
	token := sandboxtest.UniqueToken()
	h, err := rt.Hold(context.Background(), sandbox.Request{Language: slowCompile(0)})
	if err != nil {
		t.Fatal(err)
	}
	p := h.(*pair)
	pids := []int{p.run.pid, p.run.cmd.Process.Pid}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan sandbox.Result, 1)
	go func() {
		res, err := h.Go(ctx, sandbox.HeldRun{Files: []sandbox.File{{Content: []byte("exec -a " + token + " sleep 600\n")}}})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	sandboxtest.WaitProcess(t, token)
	cancel()
	res := <-done
	if res.Status != sandbox.StatusCancelled || res.Stage != sandbox.StageCompile {
		t.Fatalf("%+v", res)
	}
	sandboxtest.AssertNoProcess(t, token)
	deadline := time.Now().Add(3 * time.Second)
	for _, pid := range pids {
		for !errors.Is(unix.Kill(pid, 0), syscall.ESRCH) {
			if time.Now().After(deadline) {
				t.Fatalf("the held run stage (pid %d) outlived Stop", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// A compile step past its own wall limit times out as in a cold run.
func TestHeldCompileTimeout(t *testing.T) {
	rt := newRuntime(t)
	req := sandbox.Request{Language: slowCompile(time.Second), Files: []sandbox.File{{Content: []byte("sleep 600\n")}}}
	cold := coldRun(t, rt, req)
	held := holdRun(t, rt, context.Background(), req)
	for _, o := range []outcome{cold, held} {
		if o.res.Status != sandbox.StatusTimeout || o.res.Stage != sandbox.StageCompile || o.res.Limits.WallTime != time.Second || o.stdout != "" {
			t.Fatalf("%+v %q", o.res, o.stdout)
		}
	}
}
