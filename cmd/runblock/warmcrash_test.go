package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pooledSandboxes lists the processes of warm (pooled) sandboxes in the
// cgroups under parent: interpreters waiting for their run.
func pooledSandboxes(parent string) []string {
	matches, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []string
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil || !strings.Contains(string(b), "--runblock-warm=") {
			continue
		}
		cg, _ := os.ReadFile(filepath.Join(filepath.Dir(m), "cgroup"))
		if strings.Contains(string(cg), "/"+parent+"/") {
			pids = append(pids, filepath.Base(filepath.Dir(m)))
		}
	}
	return pids
}

// A started server has Python's pool of warm sandboxes filling before any
// run arrives, through the whole wiring (compile cache and all), so the
// first learners after a start don't start cold.
func TestServeStartsThePythonPoolBeforeAnyRun(t *testing.T) {
	cfg, _, parent := crashSandboxDirs(t)
	ps := startServerProcess(t, t.TempDir(), nil, "--config", cfg)
	deadline := time.Now().Add(30 * time.Second)
	for len(pooledSandboxes(parent)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no pooled sandbox 30 s after the start, with no run:\n%s", ps.Stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKill9LeavesNoPooledSandbox: the warm sandboxes waiting for runs
// belong to the server's leased uids, so the janitor kills them when the
// server dies, even by kill -9, and removes their cgroups and directories.
func TestKill9LeavesNoPooledSandbox(t *testing.T) {
	cfg, workDir, parent := crashSandboxDirs(t)
	ps := startServerProcess(t, t.TempDir(), nil, "--config", cfg)
	pid := ps.cmd.Process.Pid
	// The pool of a kind of run starts with its first run.
	resp, err := http.Post(ps.URL+"/api/v1/code/execute", "application/json", strings.NewReader(`{"code":"print(1)"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(30 * time.Second)
	for len(pooledSandboxes(parent)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no pooled sandbox appeared:\n%s", ps.Stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
	pooled := pooledSandboxes(parent)
	ps.kill(t)
	deadline = time.Now().Add(10 * time.Second)
	for {
		left := append(pooledSandboxes(parent), crashLeftovers(workDir, parent, pid)...)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after kill -9 (pooled were %v), left: %v", pooled, left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range pooled {
		if _, err := os.Stat("/proc/" + p); err == nil {
			t.Errorf("pooled sandbox process %s survived the server", p)
		}
	}
}
