package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Snippets that use the libraries a warm flavour imports ahead.
const (
	numpySnippet  = "import numpy as np; print(np.arange(10).sum())"
	pandasSnippet = "import pandas as pd; print(pd.Series(range(10)).sum())"
)

// libraryRows: bare python3 -c of each snippet against POST /execute of
// the same. The flavour's pool holds one sandbox; a pause between samples
// lets it refill, as a learner's think time does.
func libraryRows(s *server, n int, pause time.Duration) ([]row, error) {
	var rows []row
	for _, c := range []struct{ name, code string }{{"numpy", numpySnippet}, {"pandas", pandasSnippet}} {
		_ = exec.Command("/usr/bin/python3", "-c", c.code).Run() // page cache
		if err := postExecute(s.url, c.code); err != nil {
			return nil, err
		}
		bare, err := timeN(n, func() error { return exec.Command("/usr/bin/python3", "-c", c.code).Run() })
		if err != nil {
			return nil, err
		}
		api, err := timeN(n, func() error { time.Sleep(pause); return postExecute(s.url, c.code) })
		if err != nil {
			return nil, err
		}
		// timeN counted the pause too.
		for i := range api {
			api[i] -= pause
		}
		ratio := float64(percentile(api, .5)) / float64(percentile(bare, .5))
		rows = append(rows,
			row{fmt.Sprintf("bare `/usr/bin/python3 -c` %s snippet (baseline)", c.name), ms(percentile(bare, .5)), ms(percentile(bare, .95)), "`" + c.code + "`"},
			row{fmt.Sprintf("`POST /execute` %s snippet (warm flavour)", c.name), ms(percentile(api, .5)), ms(percentile(api, .95)), fmt.Sprintf("**p50 ratio %.2f× bare**; %s between runs", ratio, pause)})
	}
	return rows, nil
}

// bareThroughput spawns python3 -c hello from conc goroutines for dur.
func bareThroughput(conc int, dur time.Duration) (float64, error) {
	return spawnThroughput(conc, dur, "/usr/bin/python3", "-c", hello)
}

// floorArgv is what one fresh sandbox and interpreter per run cost with
// nothing of runblock: bubblewrap's namespaces and mounts (no seccomp,
// cgroups, limits, uid lease or accounting) around python3 -S -c. Its
// network namespace is its own, as every sandbox's was before they shared
// one made by the server (see internal/sandbox/bwrap/netns.go).
func floorArgv() []string {
	return []string{"/usr/bin/bwrap", "--unshare-all", "--unshare-user", "--disable-userns",
		"--die-with-parent", "--new-session", "--clearenv",
		"--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
		"--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
		"/usr/bin/python3", "-S", "-c", hello}
}

// spawnThroughput runs argv from conc goroutines for dur: runs/s.
func spawnThroughput(conc int, dur time.Duration, argv ...string) (float64, error) {
	return load(conc, dur, func() error { return exec.Command(argv[0], argv[1:]...).Run() })
}

// idleMemoryRows sums the memory of the server and of every sandbox of its
// instance (their cgroups are named "<server pid>.…") once it is idle.
func idleMemoryRows(s *server) ([]row, error) {
	// Let the pools refill after the runs above.
	time.Sleep(10 * time.Second)
	pid := s.cmd.Process.Pid
	serverRSS, serverPSS := memOf(strconv.Itoa(pid))
	var rss, pss int64
	pooled, runs, procs := 0, 0, 0
	matches, _ := filepath.Glob("/proc/[0-9]*/cgroup")
	for _, m := range matches {
		cg, err := os.ReadFile(m)
		if err != nil || !bytes.Contains(cg, []byte("/"+strconv.Itoa(pid)+".")) {
			continue
		}
		p := filepath.Base(filepath.Dir(m))
		r, ps := memOf(p)
		rss, pss, procs = rss+r, pss+ps, procs+1
		// One interpreter per sandbox (bwrap's own processes are counted in
		// the memory, not as sandboxes).
		if cmd, _ := os.ReadFile("/proc/" + p + "/cmdline"); bytes.HasPrefix(cmd, []byte("/usr/bin/python3\x00")) {
			pooled++
			if bytes.Contains(cmd, []byte("--runblock-warm=")) {
				runs++
			}
		}
	}
	if pooled == 0 {
		return nil, fmt.Errorf("no pooled sandbox found for server %d", pid)
	}
	mb := func(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }
	return []row{
		{"idle memory: server process", "", "", fmt.Sprintf("RSS %s, PSS %s", mb(serverRSS), mb(serverPSS))},
		{fmt.Sprintf("idle memory: %d warm sandboxes (%d for runs, %d policy checkers; %d processes)", pooled, runs, pooled-runs, procs), "", "",
			fmt.Sprintf("RSS %s (%s per sandbox), PSS %s (%s per sandbox); server + sandboxes PSS %s",
				mb(rss), mb(rss/int64(pooled)), mb(pss), mb(pss/int64(pooled)), mb(serverPSS+pss))},
	}, nil
}

// memOf reads a process's RSS and PSS in kB (PSS shares libraries fairly
// between the processes that map them).
func memOf(pid string) (rss, pss int64) {
	b, _ := os.ReadFile("/proc/" + pid + "/smaps_rollup")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "Rss:":
			rss = v
		case "Pss:":
			pss = v
		}
	}
	return rss, pss
}
