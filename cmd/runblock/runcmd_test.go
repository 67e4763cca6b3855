package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runFile(t *testing.T, name, code, stdin string, args ...string) (string, string, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	full := append(append([]string{"runblock", "run"}, args...), p)
	err := run(context.Background(), full, func(string) string { return "" }, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestRunCommandStreamsAndForwardsStdin(t *testing.T) {
	out, _, err := runFile(t, "greet.py", "name = input('name? ')\nprint('hello', name)\n", "Ada\n")
	if err != nil || out != "name? hello Ada\n" {
		t.Fatalf("out %q err %v", out, err)
	}
}

func TestRunCommandExitCodeFollowsProgram(t *testing.T) {
	_, stderr, err := runFile(t, "fail.py", "raise SystemExit(7)\n", "")
	var code exitCode
	if !errors.As(err, &code) || code != 7 {
		t.Fatalf("err %v (stderr %q), want exit code 7", err, stderr)
	}
	_, stderr, err = runFile(t, "slow.py", "while True: pass\n", "", "--timeout", "1")
	if !errors.As(err, &code) || code != 124 || !strings.Contains(stderr, "timed out") {
		t.Fatalf("timeout: err %v stderr %q", err, stderr)
	}
}

func TestRunCommandCompilesC(t *testing.T) {
	out, _, err := runFile(t, "hi.c", "#include <stdio.h>\nint main(void){printf(\"%d\\n\", 6*7);return 0;}\n", "")
	if err != nil || out != "42\n" {
		t.Fatalf("out %q err %v", out, err)
	}
	_, _, err = runFile(t, "notes.txt", "hello", "")
	if err == nil || !strings.Contains(err.Error(), "--lang") {
		t.Fatalf("unknown extension: %v", err)
	}
}

func TestCheckCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"runblock", "check"}, func(string) string { return "" }, nil, &out, &out); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "isolation is complete") || !strings.Contains(out.String(), "seccomp") {
		t.Fatalf("report: %s", out.String())
	}
}

func TestUnknownCommandAndBadConfig(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"runblock", "frobnicate"}, func(string) string { return "" }, nil, &out, &out)
	var code exitCode
	if !errors.As(err, &code) || code != 2 {
		t.Fatalf("unknown command: %v", err)
	}
	err = run(context.Background(), []string{"runblock", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()},
		func(string) string { return "" }, nil, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "auth") {
		t.Fatalf("serve without any way to identify callers must refuse: %v", err)
	}
	cfg := writeConfig(t, `{"limits": {"memory_mb": 1}}`)
	err = run(context.Background(), []string{"runblock", "serve", "--config", cfg, "--allow-anonymous"}, func(string) string { return "" }, nil, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "limits.memory_mb") {
		t.Fatalf("bad config: %v", err)
	}
}
