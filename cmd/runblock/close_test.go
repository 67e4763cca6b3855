package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

// janitors lists the clean-up processes of runtimes this process opened:
// their argv names run directories "<work dir>/<our pid>.*".
func janitors() []string {
	var out []string
	for _, p := range sandboxtest.FindProcesses(fmt.Sprintf("/%d.", os.Getpid())) {
		if b, _ := os.ReadFile("/proc/" + p + "/cmdline"); bytes.Contains(b, []byte("janitor")) {
			out = append(out, p)
		}
	}
	return out
}

// `runblock run` and `runblock check` close their runtime: its janitor
// cleans up and ends, and its uid leases are given back, instead of both
// staying until the process exits (as they did: a leak in every test).
func TestRunAndCheckCloseTheRuntime(t *testing.T) {
	before := len(janitors())
	noEnv := func(string) string { return "" }
	var out, errb bytes.Buffer
	if _, _, err := runFile(t, "hi.py", "print(1)\n", ""); err != nil {
		t.Fatal(err)
	}
	_ = run(context.Background(), []string{"runblock", "check"}, noEnv, strings.NewReader(""), &out, &errb)
	deadline := time.Now().Add(10 * time.Second)
	for len(janitors()) > before {
		if time.Now().After(deadline) {
			t.Fatalf("janitors of closed runtimes still running: %v (before: %d)", janitors(), before)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
