// Command bench measures runblock end to end against baselines taken in the
// same run, and prints a Markdown table (also written to bench/out/).
//
//	go run ./bench -bin ./bin/runblock
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

type row struct{ name, p50, p95, extra string }

func main() {
	bin := flag.String("bin", "./bin/runblock", "runblock binary")
	n := flag.Int("n", 200, "samples per latency measurement")
	conc := flag.Int("c", 8, "concurrency for the throughput test")
	dur := flag.Duration("d", 10*time.Second, "duration of the throughput test")
	out := flag.String("out", "bench/out/results.md", "where to write the table")
	only := flag.String("sections", "", "comma-separated sections to run (default all): execute,libraries,memory,stream,validate,limiter,store,streams200,figures,cpu,wasm,submit,containers,languages")
	flag.StringVar(only, "only", "", "the same as -sections")
	flag.Parse()
	if err := run(*bin, *n, *conc, *dur, *out, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// unlimited lifts rate limits: the bench measures speed, not quotas.
const unlimited = `{"rate_limit": {"per_role": {"anonymous": 0, "user": 0, "author": 0, "service": 0}}}`

func run(bin string, n, conc int, dur time.Duration, out, only string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := startServer(ctx, bin, map[string]string{"RUNBLOCK_MAX_CONCURRENT": fmt.Sprint(conc), "RUNBLOCK_MAX_QUEUE": "64"}, unlimited)
	if err != nil {
		return err
	}
	var rows []row
	sections := []struct {
		name string
		f    func() ([]row, error)
	}{
		{"execute", func() ([]row, error) { return executeRows(srv, n, conc, dur) }},
		{"libraries", func() ([]row, error) { return libraryRows(srv, max(n/10, 10), 5*time.Second) }},
		{"memory", func() ([]row, error) { return idleMemoryRows(srv) }},
		{"stream", func() ([]row, error) { return streamRows(srv, n) }},
		{"validate", func() ([]row, error) { return validateRows(srv, n) }},
		{"limiter", func() ([]row, error) { return limiterRows(ctx, bin, n) }},
		{"store", func() ([]row, error) { return storeRows(ctx) }},
		{"streams200", func() ([]row, error) { return manyStreamsRows(ctx, bin, 200) }},
		{"figures", func() ([]row, error) { return figureRows(srv, n) }},
		{"cpu", func() ([]row, error) { return cpuRows(srv, n) }},
		{"wasm", func() ([]row, error) { return wasmRows(srv, n) }},
		{"submit", func() ([]row, error) { return submitRows(ctx, bin, n) }},
		{"containers", func() ([]row, error) { return containerRows(ctx, bin, min(n, 60), 500*time.Millisecond) }},
		{"languages", func() ([]row, error) { return languageRows(srv, max(n/20, 5)) }},
	}
	for _, sec := range sections {
		if only != "" && !slices.Contains(strings.Split(only, ","), sec.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s...\n", sec.name)
		r, err := sec.f()
		if err != nil {
			return fmt.Errorf("%s: %w", sec.name, err)
		}
		rows = append(rows, r...)
	}
	table := render(rows, n)
	fmt.Print(table)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err == nil {
		_ = os.WriteFile(out, []byte(table), 0o644)
	}
	return nil
}

type server struct {
	url string
	cmd *exec.Cmd
}

func startServer(ctx context.Context, bin string, env map[string]string, config string) (*server, error) {
	dir, err := os.MkdirTemp("", "runblock-bench-")
	if err != nil {
		return nil, err
	}
	cfgFile := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgFile, []byte(config), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "error",
		"--allow-anonymous", "--config", cfgFile)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = os.Stderr
	// The servers must not outlive the bench (e.g. when it is interrupted).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("server did not start: %w", err)
	}
	go io.Copy(io.Discard, stdout)
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "http://") {
			return &server{url: f, cmd: cmd}, nil
		}
	}
	return nil, fmt.Errorf("no address in %q", line)
}

// percentile of sorted durations.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s)-1) + 0.5)
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func render(rows []row, n int) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "runblock bench — %s, %s, %d samples per latency row\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), host, n)
	b.WriteString("| measurement | p50 | p95 | notes |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.name, r.p50, r.p95, r.extra)
	}
	return b.String()
}
