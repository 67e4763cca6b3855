package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/runblock/runblock/internal/sandbox/container/podmantest"
)

// containerRows: hello's latency through POST /execute on bubblewrap (warm
// and cold) and on the container runtime (warm and cold, Podman's API
// service on a private socket), and `podman run --rm` through the same
// service as the container-per-run peer. Warm rows pause between samples
// so the pools refill, as a learner's think time lets them; the pause is
// not counted.
func containerRows(ctx context.Context, bin string, n int, pause time.Duration) ([]row, error) {
	eng, err := podmantest.StartService("")
	if err != nil {
		return nil, err
	}
	defer eng.Stop()
	gv, err := podmantest.StartService("gvisor")
	if err != nil {
		return nil, err
	}
	defer gv.Stop()
	cfg := func(warm int, cold bool) string {
		return fmt.Sprintf(`{"rate_limit": {"per_role": {"anonymous": 0, "user": 0, "author": 0, "service": 0}},
			"sandbox": {"cold_starts": %v},
			"containers": {"engine": %q, "owner": "bench-%d", "warm": %d, "environments": {"docker": {"image": %q,
				"languages": {"python": {"name": "python", "file_name": "main.py", "run": ["python3", "-u", "main.py"]}}}}}}`,
			cold, eng.Host, time.Now().UnixNano(), warm, eng.Image)
	}
	warm, err := startServer(ctx, bin, nil, cfg(2, false))
	if err != nil {
		return nil, err
	}
	defer stopServer(warm)
	cold, err := startServer(ctx, bin, nil, cfg(0, true))
	if err != nil {
		return nil, err
	}
	defer stopServer(cold)
	// gVisor: the same image on a service whose default runtime is runsc,
	// started only for its row so its start-up doesn't load the others.
	var gvisor *server
	defer func() {
		if gvisor != nil {
			stopServer(gvisor)
		}
	}()
	type meas struct {
		name, notes string
		f           func() error
		pause       time.Duration
		setup       func() error
	}
	peer := func() error {
		return exec.Command("podman", "--url", eng.Host, "run", "--rm", "--network", "none", "--read-only",
			"--memory", "128m", "--memory-swap", "128m", "--pids-limit", "64", "--cap-drop", "all",
			"--security-opt", "no-new-privileges", "--user", "10001:10001",
			"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096",
			eng.Image, "python3", "-c", hello).Run()
	}
	ms4 := []meas{
		{"`POST /execute` hello, bwrap **warm** (run pool)", "environment server", func() error { return postEnv(warm.url, hello, "server") }, pause, nil},
		{"`POST /execute` hello, bwrap **cold** (`sandbox.cold_starts`)", "environment server", func() error { return postEnv(cold.url, hello, "server") }, 0, nil},
		{"`POST /execute` hello, container **warm** (started ahead, used once)", "environment docker, Podman 4.3 API + runc", func() error { return postEnv(warm.url, hello, "docker") }, pause, nil},
		{"`POST /execute` hello, container **cold** (create + attach + start + remove through the API)", "environment docker, `containers.warm` 0", func() error { return postEnv(cold.url, hello, "docker") }, 0, nil},
		{"`podman --url <same service> run --rm … python3 -c` hello (container-per-run peer)", "same engine and image, same limits", peer, 0, nil},
		{"`POST /execute` hello, container warm on **gVisor** (runsc)", "environment docker on a Podman service with runsc as its runtime", func() error { return postEnv(gvisor.url, hello, "docker") }, pause,
			func() (err error) {
				gvisor, err = startServer(ctx, bin, nil, strings.Replace(cfg(2, false), eng.Host, gv.Host, 1))
				return err
			}},
	}
	var rows []row
	p50 := map[int]time.Duration{}
	for i, m := range ms4 {
		if m.setup != nil {
			if err := m.setup(); err != nil {
				return nil, err
			}
		}
		for k := 0; k < 3; k++ { // page cache, pools, connections
			if err := m.f(); err != nil {
				return nil, fmt.Errorf("%s: %w", m.name, err)
			}
			time.Sleep(m.pause)
		}
		d, err := timeN(n, func() error { time.Sleep(m.pause); return m.f() })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		for j := range d {
			d[j] -= m.pause
		}
		p50[i] = percentile(d, .5)
		notes := m.notes
		if m.pause > 0 {
			notes += fmt.Sprintf("; %s between runs (not counted)", m.pause)
		}
		rows = append(rows, row{m.name, ms(p50[i]), ms(percentile(d, .95)), notes})
	}
	rows[2].extra += fmt.Sprintf("; **p50 %.2f× bwrap cold** (goal ≤ 2×)", float64(p50[2])/float64(p50[1]))
	rows[3].extra += fmt.Sprintf("; p50 %.2f× container warm", float64(p50[3])/float64(p50[2]))
	return rows, nil
}

func postEnv(url, code, env string) error {
	body, _ := json.Marshal(map[string]string{"code": code, "environment": env})
	resp, err := client.Post(url+"/api/v1/code/execute", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct{ Output, Status, Environment string }
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(raw, &r) != nil || r.Status != "success" || r.Output != "Hello, World!\n" || r.Environment != env {
		return fmt.Errorf("execute: %d %s", resp.StatusCode, raw)
	}
	return nil
}

// stopServer ends a server gracefully, so its runtimes remove their
// containers.
func stopServer(s *server) {
	s.cmd.Process.Signal(interruptSignal)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
	}
}

var interruptSignal = syscall.SIGTERM
