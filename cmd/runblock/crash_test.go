package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
	_ "modernc.org/sqlite" // "sqlite" driver for the integrity check
)

// crashServerEnv makes the test binary act as `runblock` (see
// TestCrashServerProcess): tests that kill the server need it to be a
// separate process, and re-running this binary avoids building another.
const crashServerEnv = "RUNBLOCK_TEST_SERVER_PROCESS"

// TestCrashServerProcess is not a test: in a child started by startServerProcess
// it runs main() with the arguments after "--" and exits.
func TestCrashServerProcess(t *testing.T) {
	if os.Getenv(crashServerEnv) != "1" {
		return
	}
	os.Args = append([]string{"runblock"}, flag.Args()...)
	main()
	os.Exit(0)
}

// procServer is `runblock serve` in a child process.
type procServer struct {
	URL    string
	cmd    *exec.Cmd
	stderr *crashBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, valid after done
}

type crashBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (c *crashBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.Write(p)
}

func (c *crashBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

// startServerProcess starts the server on dataDir with testConfig's quotas (unless
// args has --config), env added to the test's environment, and waits for
// its "listening on" line.
func startServerProcess(t *testing.T, dataDir string, env []string, args ...string) *procServer {
	t.Helper()
	full := []string{"-test.run=^TestCrashServerProcess$", "--", "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir,
		"--log-level", "warn", "--allow-anonymous", "--content-dir", "../../content"}
	hasConfig := false
	for _, a := range args {
		hasConfig = hasConfig || a == "--config"
	}
	if !hasConfig {
		full = append(full, "--config", writeConfig(t, testConfig))
	}
	cmd := exec.Command(os.Args[0], append(full, args...)...)
	cmd.Env = append(append(os.Environ(), crashServerEnv+"=1"), env...)
	// Should this test process die, its server goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	ps := &procServer{cmd: cmd, stderr: &crashBuffer{}, done: make(chan struct{})}
	cmd.Stderr = ps.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		ps.err = cmd.Wait()
		close(ps.done)
	}()
	t.Cleanup(func() { ps.stop(t) })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on http://") {
				lines <- sc.Text()
			}
		}
	}()
	select {
	case line := <-lines:
		for _, w := range strings.Fields(line) {
			if strings.HasPrefix(w, "http://") {
				ps.URL = w
			}
		}
	case <-ps.done:
		t.Fatalf("server exited before listening (%v):\n%s", ps.err, ps.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start:\n%s", ps.stderr)
	}
	return ps
}

func (ps *procServer) Stderr() string { return ps.stderr.String() }

func (ps *procServer) Exited() bool {
	select {
	case <-ps.done:
		return true
	default:
		return false
	}
}

// kill is kill -9.
func (ps *procServer) kill(t *testing.T) {
	t.Helper()
	if err := ps.cmd.Process.Signal(syscall.SIGKILL); err != nil && !ps.Exited() {
		t.Fatal(err)
	}
	<-ps.done
}

// stop shuts the server down with SIGTERM and requires a clean exit.
func (ps *procServer) stop(t *testing.T) {
	if ps.Exited() {
		return
	}
	ps.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-ps.done:
		if ps.err != nil {
			t.Errorf("server exited with %v:\n%s", ps.err, ps.Stderr())
		}
	case <-time.After(20 * time.Second):
		ps.cmd.Process.Kill()
		<-ps.done
		t.Errorf("server did not shut down on SIGTERM")
	}
}

// crashSandboxDirs gives a server its own sandbox work directory and cgroup
// parent, so that no other runtime (tests of other packages run alongside)
// cleans up after the killed server before the restart is checked. Both are
// removed when the test ends. It returns the config to start the server with.
func crashSandboxDirs(t *testing.T) (cfg, workDir, parent string) {
	t.Helper()
	// Not t.TempDir(): the sandbox uids must traverse every parent directory.
	workDir, err := os.MkdirTemp("", "runblock-crashtest-")
	if err != nil {
		t.Fatal(err)
	}
	parent = filepath.Base(workDir)
	t.Cleanup(func() {
		os.RemoveAll(workDir)
		for _, pat := range []string{"/sys/fs/cgroup/*/" + parent, "/sys/fs/cgroup/" + parent} {
			dirs, _ := filepath.Glob(pat)
			for _, d := range dirs {
				if err := os.Remove(d); err != nil {
					children, _ := filepath.Glob(d + "/*-*")
					t.Errorf("remove cgroup %s: %v (children %v)", d, err, children)
				}
			}
		}
	})
	cfg = writeConfig(t, fmt.Sprintf(`{"rate_limit": {"per_role": {"anonymous": 100000}},
		"sandbox": {"work_dir": %q, "cgroup_parent": %q}}`, workDir, parent))
	return cfg, workDir, parent
}

// janitorOf finds the clean-up process of the server with pid: its argv
// names the server's run directories.
func janitorOf(t *testing.T, workDir string, pid int) int {
	t.Helper()
	pids := sandboxtest.FindProcesses(fmt.Sprintf("%s/%d.", workDir, pid))
	for _, p := range pids {
		cmdline, _ := os.ReadFile("/proc/" + p + "/cmdline")
		if strings.Contains(string(cmdline), "janitor") {
			n, _ := strconv.Atoi(p)
			return n
		}
	}
	t.Fatalf("no janitor for server %d among %v", pid, pids)
	return 0
}

// TestJanitorCleansUpAfterKill: when the server is killed with -9, its
// janitor kills every sandbox process (including one still being set up,
// which bubblewrap's --die-with-parent misses) and removes the cgroups and
// run directories, without waiting for a restart.
func TestJanitorCleansUpAfterKill(t *testing.T) {
	cfg, workDir, parent := crashSandboxDirs(t)
	ps := startServerProcess(t, t.TempDir(), []string{"RUNBLOCK_EXECUTE_POLICY=sandbox-only"}, "--config", cfg)
	pid := ps.cmd.Process.Pid
	token := sandboxtest.UniqueToken()
	body := mustJSON(map[string]string{"code": fmt.Sprintf("import subprocess\nsubprocess.run(['/bin/sh','-c','sleep 600; : %s'])", token)})
	for i := 0; i < 3; i++ {
		go http.Post(ps.URL+"/api/v1/code/execute", "application/json", strings.NewReader(body))
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(sandboxtest.FindProcesses(token)) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("sleepers never started:\n%s", ps.Stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// More runs starting at the moment of the kill: some are mid set-up.
	for i := 0; i < 4; i++ {
		go http.Post(ps.URL+"/api/v1/code/execute", "application/json", strings.NewReader(`{"code":"print(1)"}`))
	}
	time.Sleep(5 * time.Millisecond)
	ps.kill(t)
	sandboxtest.AssertNoProcess(t, token)
	sandboxtest.AssertNoProcess(t, fmt.Sprintf("%s/%d.", workDir, pid))
	deadline = time.Now().Add(5 * time.Second)
	for {
		left := crashLeftovers(workDir, parent, pid)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the janitor left %v", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crashLeftovers lists the cgroups (any controller, v1 or v2) and run
// directories named after the server instance pid.
func crashLeftovers(workDir, parent string, pid int) []string {
	var out []string
	for _, pat := range []string{"/sys/fs/cgroup/*/" + parent, "/sys/fs/cgroup/" + parent, workDir} {
		m, _ := filepath.Glob(fmt.Sprintf("%s/%d.*", pat, pid))
		out = append(out, m...)
	}
	return out
}

// TestKillDuringBurst: kill -9 while runs are executing and queued. After a
// restart on the same data directory, every run whose answer a client got
// is in history as answered, nothing is left "running", the database is
// intact, no sandbox survived, and the dead server's cgroups and run
// directories are gone.
func TestKillDuringBurst(t *testing.T) {
	dataDir := t.TempDir()
	cfg, workDir, parent := crashSandboxDirs(t)
	// One learner's burst: lift the queue's per-learner places (1 + 1 by
	// default) so the burst runs and queues as the test needs.
	env := []string{"RUNBLOCK_EXECUTE_POLICY=sandbox-only", "RUNBLOCK_MAX_CONCURRENT=4", "RUNBLOCK_MAX_QUEUE=64",
		"RUNBLOCK_MAX_RUNNING_PER_USER=4", "RUNBLOCK_MAX_WAITING_PER_USER=64"}
	ps := startServerProcess(t, dataDir, env, "--config", cfg)
	pid := ps.cmd.Process.Pid
	api := ps.URL + "/api/v1/code"
	// One browser: the runs and the history read after the restart belong
	// to one anonymous session (issued by the warm-up request below).
	client := &http.Client{Timeout: 60 * time.Second, Jar: http.DefaultClient.Jar}
	if resp, err := client.Get(api + "/stats"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	post := func(ctx context.Context, code string) (map[string]any, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", api+"/execute", strings.NewReader(mustJSON(map[string]any{"code": code})))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("status %d", resp.StatusCode)
		}
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			return nil, err // cut off mid-answer: not an answer
		}
		return m, nil
	}

	// A run that can't finish before the kill, with a child to look for.
	token := sandboxtest.UniqueToken()
	sleeper := fmt.Sprintf("import subprocess\nsubprocess.run(['/bin/sh','-c','sleep 600; : %s'])", token)
	sleeperDone := make(chan struct{})
	go func() {
		defer close(sleeperDone)
		if m, err := post(context.Background(), sleeper); err == nil {
			t.Errorf("the sleeper was answered: %v", m)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(sandboxtest.FindProcesses(token)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sleeper never started:\n%s", ps.Stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}

	type answer struct {
		code string
		resp map[string]any
	}
	var (
		mu       sync.Mutex
		answered []answer
		wg       sync.WaitGroup
	)
	okc := make(chan struct{}, 64)
	for i := 0; i < 30; i++ {
		code := fmt.Sprintf("print('quick %d')", i)
		if i%3 == 0 {
			code = fmt.Sprintf("import time\ntime.sleep(1)\nprint('slept %d')", i)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := post(context.Background(), code)
			if err != nil {
				return // cut off by the kill (or never admitted)
			}
			mu.Lock()
			answered = append(answered, answer{code, m})
			mu.Unlock()
			okc <- struct{}{}
		}()
	}
	for n := 0; n < 8; n++ {
		select {
		case <-okc:
		case <-time.After(60 * time.Second):
			t.Fatalf("only %d runs answered:\n%s", n, ps.Stderr())
		}
	}
	// Every sandbox's bwrap has its run directory, under workDir, in argv.
	if len(sandboxtest.FindProcesses(workDir)) == 0 {
		t.Fatal("no sandbox is running at the kill")
	}
	// Lose the server and its janitor at once (the worst case, e.g. both
	// taken by the OOM killer), so that the restart's own clean-up is what
	// is checked; TestJanitorCleansUpAfterKill checks the janitor.
	janitor := janitorOf(t, workDir, pid)
	syscall.Kill(janitor, syscall.SIGKILL)
	ps.kill(t)
	wg.Wait()
	<-sleeperDone
	mu.Lock()
	defer mu.Unlock()
	if len(answered) < 8 || len(answered) == 30 {
		t.Fatalf("%d of 30 runs answered: the kill was not mid-burst", len(answered))
	}
	t.Logf("%d of 30 runs answered before the kill", len(answered))

	left := crashLeftovers(workDir, parent, pid)
	var inWork, inCgroups int
	for _, p := range left {
		if strings.HasPrefix(p, workDir) {
			inWork++
		} else {
			inCgroups++
		}
	}
	if inWork == 0 || inCgroups == 0 {
		t.Fatalf("the killed server left %v; a run directory and cgroups were expected, else the clean-up check below proves nothing", left)
	}
	t.Logf("left behind by the killed server: %v", left)

	ps2 := startServerProcess(t, dataDir, env, "--config", cfg)
	if left := crashLeftovers(workDir, parent, pid); len(left) != 0 {
		t.Errorf("restart left the dead server's cgroups/run dirs: %v", left)
	}
	// Whatever the dead server's sandboxes started is gone; every sandbox
	// process joined its cgroup before it started anything, so the restart
	// found and killed even one caught half set up.
	sandboxtest.AssertNoProcess(t, token)
	sandboxtest.AssertNoProcess(t, fmt.Sprintf("%s/%d.", workDir, pid))
	if !strings.Contains(ps2.Stderr(), "marked runs of a previous server as interrupted") {
		t.Errorf("restart did not report interrupted runs:\n%s", ps2.Stderr())
	}

	all := histList(t, ps2.URL, "", 100)
	byID := map[string]map[string]any{}
	for _, e := range all {
		byID[e["id"].(string)] = e
		if e["status"] == "running" || e["finished_at"] == nil {
			t.Errorf("unfinished row after restart: %v", e)
		}
	}
	for _, a := range answered {
		e, ok := byID[a.resp["id"].(string)]
		if !ok {
			t.Errorf("answered run %v lost from history", a.resp)
			continue
		}
		want := map[string]any{"code": a.code}
		for _, k := range []string{"status", "exit_code", "output", "error", "execution_time", "truncated"} {
			want[k] = a.resp[k]
		}
		histExpectFields(t, "answered run", e, want)
		if e["status"] != "success" {
			t.Errorf("burst run did not succeed: %v", e)
		}
	}
	interrupted := 0
	for _, e := range all {
		if e["status"] == "interrupted" {
			interrupted++
			if e["exit_code"] != nil {
				t.Errorf("interrupted run with an exit code: %v", e)
			}
		}
		if e["code"] == sleeper && e["status"] != "interrupted" {
			t.Errorf("sleeper recorded as %v, want interrupted", e["status"])
		}
	}
	if interrupted == 0 || len(all) > 31 {
		t.Errorf("%d rows, %d interrupted: %v", len(all), interrupted, all)
	}

	// The file itself is sound (checked beside the live server: WAL allows it).
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "runblock.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var verdict string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&verdict); err != nil || verdict != "ok" {
		t.Errorf("integrity_check = %q, %v", verdict, err)
	}
	var running int
	if err := db.QueryRow("SELECT COUNT(*) FROM executions WHERE status = 'running'").Scan(&running); err != nil || running != 0 {
		t.Errorf("running rows = %d, %v", running, err)
	}
	// And the restarted server records new runs.
	m := histRun(t, ps2.URL, "", map[string]any{"code": "print('after')"})
	if r, e := histDo(t, "GET", procAPI(ps2)+"/executions/"+m["id"].(string), "", ""); r.StatusCode != 200 || e["output"] != "after\n" {
		t.Errorf("run after restart: %d %v", r.StatusCode, e)
	}
	// A clean stop of the restarted server leaves nothing of its own either.
	ps2.stop(t)
	if left := crashLeftovers(workDir, parent, ps2.cmd.Process.Pid); len(left) != 0 {
		t.Errorf("the restarted server left %v after a clean stop:\n%s", left, ps2.Stderr())
	}
}

func procAPI(ps *procServer) string { return ps.URL + "/api/v1/code" }

// crashServe runs `runblock serve` in-process with dataDir and returns its
// error; a start-up that does not end within the guard counts as a hang.
func crashServe(t *testing.T, dataDir string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout crashBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"runblock", "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "error",
			"--allow-anonymous", "--content-dir", "../../content", "--config", writeConfig(t, testConfig)},
			func(string) string { return "" }, strings.NewReader(""), &stdout, &crashBuffer{})
	}()
	select {
	case err := <-done:
		if strings.Contains(stdout.String(), "listening") {
			t.Errorf("server started on %s", dataDir)
		}
		return err
	case <-time.After(60 * time.Second):
		cancel()
		<-done
		t.Fatalf("serve on %s neither started nor failed: hang", dataDir)
	}
	return nil
}

// crashMount mounts a tmpfs at a fresh directory, unmounted at the end.
func crashMount(t *testing.T, flags uintptr, opts string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, opts); err != nil {
		t.Fatalf("mount tmpfs at %s (the tests run as root): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// crashFill fills the filesystem holding dir and returns the filler's path.
func crashFill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return p
		}
	}
}

// TestServeRefusesUnusableDataDir: a data directory that can't hold the
// database stops start-up with an error naming it — no panic, no hang, no
// server that fails later. (Root ignores mode bits, so read-only is a
// read-only mount.)
func TestServeRefusesUnusableDataDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly := crashMount(t, syscall.MS_RDONLY, "size=1m")
	full := crashMount(t, 0, "size=1m")
	crashFill(t, full)
	for _, c := range []struct {
		name, dir string
		want      []string
	}{
		{"under a regular file", filepath.Join(file, "data"), []string{"data dir " + filepath.Join(file, "data"), "not a directory"}},
		{"inside /proc", "/proc/version/data", []string{"data dir /proc/version/data", "not a directory"}},
		{"read-only", readOnly, []string{fmt.Sprintf("directory %s is not writable", readOnly), "read-only file system"}},
		{"disk full", full, []string{fmt.Sprintf("%q", filepath.Join(full, "runblock.db")), "disk is full"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := crashServe(t, c.dir)
			if err == nil {
				t.Fatal("serve started")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestDiskFillsWhileServing: when the disk fills up after start-up the
// server keeps running code and answering, logs that history can't be
// written, and records again once there is room.
func TestDiskFillsWhileServing(t *testing.T) {
	dir := crashMount(t, 0, "size=2m")
	ps := startServerProcess(t, dir, nil)
	first := histRun(t, ps.URL, "", map[string]any{"code": "print('first')"})
	filler := crashFill(t, dir)

	during := histRun(t, ps.URL, "", map[string]any{"code": "print('during')"})
	if during["output"] != "during\n" || during["status"] != "success" {
		t.Fatalf("run on a full disk: %v", during)
	}
	if s := ps.Stderr(); !strings.Contains(s, "recording run") || !strings.Contains(s, "full") {
		t.Errorf("failed recording not logged:\n%s", s)
	}
	if r, m := histDo(t, "GET", procAPI(ps)+"/executions", "", ""); r.StatusCode != 200 || len(m["executions"].([]any)) != 1 {
		t.Errorf("history on a full disk: %d %v", r.StatusCode, m)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	after := histRun(t, ps.URL, "", map[string]any{"code": "print('after')"})
	all := histList(t, ps.URL, "", 100)
	if len(all) != 2 || all[0]["id"] != after["id"] || all[1]["id"] != first["id"] || all[0]["output"] != "after\n" {
		t.Errorf("history after freeing space: %v", all)
	}
	if ps.Exited() {
		t.Fatalf("server died:\n%s", ps.Stderr())
	}
}
