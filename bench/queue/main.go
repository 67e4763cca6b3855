// Command queue replays a classroom pressing Run at once: many clients,
// each a separate learner (its own session cookie), each sending runs of a
// mixed lesson workload one after another and honouring Retry-After on 503,
// against `runblock serve` on loopback. It reports the runs that never
// completed, the time from request to result (retries included) and the
// 503s answered.
//
//	go run ./bench/queue -bin ./bin/runblock -clients 64 -runs 30
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type program struct {
	name, code, stdin string
	want              string // the status a correct server answers
}

// The lesson mix: quick prints, input, a flood past the output cap, a
// second of work, and a program that runs out of memory.
var workload = []program{
	{"hello", `print("Hello, World!")`, "", "success"},
	{"input echo", "name = input()\nprint('Hello,', name)", "Ada\n", "success"},
	{"output flood", "for i in range(200000):\n    print(i)", "", "error"}, // stopped at the output cap
	{"1 s loop", "import time\nt = time.time()\nwhile time.time() - t < 1:\n    pass", "", "success"},
	{"memory bomb", "x = []\nwhile True:\n    x.append(bytearray(10**7))", "", "memory_limit"},
}

func main() {
	bin := flag.String("bin", "./bin/runblock", "runblock binary to start (ignored with -url)")
	url := flag.String("url", "", "a running server instead of starting -bin")
	clients := flag.Int("clients", 64, "concurrent learners")
	runs := flag.Int("runs", 30, "runs per learner, one after another")
	retries := flag.Int("retries", 60, "503s a learner accepts for one run before giving up")
	maxWait := flag.Duration("max-retry-after", time.Minute, "longest Retry-After a learner waits")
	env := flag.String("env", "", "extra server environment, comma-separated K=V")
	flag.Parse()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base := *url
	if base == "" {
		var err error
		if base, err = startServer(ctx, *bin, *env); err != nil {
			fmt.Fprintln(os.Stderr, "queue bench:", err)
			os.Exit(1)
		}
	}
	res := classroom(base, *clients, *runs, *retries, *maxWait)
	fmt.Print(res.report(*clients, *runs))
}

type sample struct {
	prog    int
	took    time.Duration
	busy    int // 503s answered for this run
	done    bool
	status  string
	wrong   bool
	failure string
}

type results struct {
	samples []sample
	wall    time.Duration
}

func classroom(base string, clients, runs, retries int, maxWait time.Duration) results {
	var mu sync.Mutex
	var all []sample
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			cl := &http.Client{Jar: jar, Timeout: 10 * time.Minute}
			for r := range runs {
				p := (c + r) % len(workload)
				s := oneRun(cl, base, p, retries, maxWait)
				mu.Lock()
				all = append(all, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results{samples: all, wall: time.Since(start)}
}

func oneRun(cl *http.Client, base string, p, retries int, maxWait time.Duration) sample {
	body, _ := json.Marshal(map[string]any{"code": workload[p].code, "stdin": workload[p].stdin, "timeout": 10})
	s := sample{prog: p}
	start := time.Now()
	for attempt := 0; ; attempt++ {
		resp, err := cl.Post(base+"/api/v1/code/execute", "application/json", bytes.NewReader(body))
		if err != nil {
			s.failure = err.Error()
			return s
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			s.busy++
			if attempt >= retries {
				s.failure = "gave up after repeated 503s"
				return s
			}
			wait := time.Second
			if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
				wait = time.Duration(n) * time.Second
			}
			time.Sleep(min(wait, maxWait))
			continue
		}
		var out struct{ Status string }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
			s.failure = fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, raw)
			return s
		}
		s.took, s.done, s.status = time.Since(start), true, out.Status
		s.wrong = out.Status != workload[p].want
		return s
	}
}

func (r results) report(clients, runs int) string {
	var b strings.Builder
	var took []time.Duration
	never, busy, wrong := 0, 0, 0
	failures := map[string]int{}
	for _, s := range r.samples {
		busy += s.busy
		if !s.done {
			never++
			failures[s.failure]++
			continue
		}
		took = append(took, s.took)
		if s.wrong {
			wrong++
			failures[workload[s.prog].name+" ended "+s.status]++
		}
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	fmt.Fprintf(&b, "%d clients x %d runs = %d runs in %s\n", clients, runs, len(r.samples), r.wall.Round(time.Second))
	fmt.Fprintf(&b, "never completed: %d\n", never)
	fmt.Fprintf(&b, "request -> result: p50 %s  p95 %s  max %s\n", pct(took, 0.5), pct(took, 0.95), pct(took, 1))
	fmt.Fprintf(&b, "503s answered: %d\n", busy)
	fmt.Fprintf(&b, "unexpected status: %d\n", wrong)
	for f, n := range failures {
		fmt.Fprintf(&b, "  %4d x %s\n", n, f)
	}
	return b.String()
}

func pct(s []time.Duration, p float64) string {
	if len(s) == 0 {
		return "-"
	}
	return s[int(p*float64(len(s)-1)+0.5)].Round(10 * time.Millisecond).String()
}

// unlimited lifts rate limits: this measures the queue, not quotas.
const unlimited = `{"rate_limit": {"per_role": {"anonymous": 0, "user": 0, "author": 0, "service": 0}}}`

func startServer(ctx context.Context, bin, env string) (string, error) {
	dir, err := os.MkdirTemp("", "runblock-queue-bench-")
	if err != nil {
		return "", err
	}
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(unlimited), 0o600); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "error",
		"--allow-anonymous", "--config", cfg)
	cmd.Env = os.Environ()
	for _, kv := range strings.Split(env, ",") {
		if kv != "" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stderr = os.Stderr
	// The server must not outlive the bench.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("server did not start: %w", err)
	}
	go io.Copy(io.Discard, stdout)
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "http://") {
			return f, nil
		}
	}
	return "", errors.New("no address in " + line)
}
