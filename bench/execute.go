package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const hello = `print('Hello, World!')`

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func postExecute(url, code string) error {
	body, _ := json.Marshal(map[string]string{"code": code})
	resp, err := client.Post(url+"/api/v1/code/execute", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Output, Status string
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(raw, &r) != nil || r.Status != "success" {
		return fmt.Errorf("execute: %d %s", resp.StatusCode, raw)
	}
	return nil
}

func timeN(n int, f func() error) ([]time.Duration, error) {
	d := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		d = append(d, time.Since(start))
	}
	return d, nil
}

// executeRows: bare python3 -c as the floor, POST /execute for the same
// program, the ratio, and throughput at a given concurrency.
func executeRows(s *server, n, conc int, dur time.Duration) ([]row, error) {
	// warm the page cache and the server's connection pool
	for i := 0; i < 5; i++ {
		_ = exec.Command("/usr/bin/python3", "-c", hello).Run()
		_ = postExecute(s.url, hello)
	}
	bare, err := timeN(n, func() error { return exec.Command("/usr/bin/python3", "-c", hello).Run() })
	if err != nil {
		return nil, err
	}
	api, err := timeN(n, func() error { return postExecute(s.url, hello) })
	if err != nil {
		return nil, err
	}
	ratio := float64(percentile(api, 0.5)) / float64(percentile(bare, 0.5))

	tp, err := interleaved(s.url, conc, dur)
	if err != nil {
		return nil, err
	}
	floorRPS, err := spawnThroughput(conc, dur, floorArgv()...)
	if err != nil {
		return nil, err
	}
	rps, bareRPS := tp.mean()
	return []row{
		{"bare `/usr/bin/python3 -c \"print('Hello, World!')\"` (baseline)", ms(percentile(bare, .5)), ms(percentile(bare, .95)), "no isolation"},
		{"`POST /execute` same program, bwrap sandbox", ms(percentile(api, .5)), ms(percentile(api, .95)), fmt.Sprintf("**p50 ratio %.2f× bare**", ratio)},
		{fmt.Sprintf("`POST /execute` throughput, concurrency %d, %d rounds of %s after %s of warm-up", conc, len(tp.api), dur, dur/5), "", "", fmt.Sprintf("%.1f runs/s, none failed; **%.2f× bare spawns/s** (rounds: %s)", rps, rps/bareRPS, tp.ratios())},
		{fmt.Sprintf("bare `python3 -c` spawns, concurrency %d, the same rounds, taking turns (baseline)", conc), "", "", fmt.Sprintf("%.1f spawns/s", bareRPS)},
		{fmt.Sprintf("floor: bare `bwrap --unshare-all … python3 -S -c` spawns, concurrency %d, %s", conc, dur), "", "", fmt.Sprintf("%.1f spawns/s; **%.2f× bare**: one fresh sandbox (with a network namespace of its own) and interpreter per run, nothing else", floorRPS, floorRPS/bareRPS)},
	}, nil
}

// rounds of API and bare throughput, measured in turns so that a machine
// whose speed drifts (a VM's neighbours) slows both alike.
type rounds struct{ api, bare []float64 }

func interleaved(url string, conc int, dur time.Duration) (rounds, error) {
	var r rounds
	for i := 0; i < 3; i++ {
		a, err := throughput(url, conc, dur)
		if err != nil {
			return r, err
		}
		b, err := bareThroughput(conc, dur)
		if err != nil {
			return r, err
		}
		r.api, r.bare = append(r.api, a), append(r.bare, b)
	}
	return r, nil
}

func (r rounds) mean() (api, bare float64) {
	for i := range r.api {
		api += r.api[i] / float64(len(r.api))
		bare += r.bare[i] / float64(len(r.bare))
	}
	return api, bare
}

func (r rounds) ratios() string {
	s := make([]string, len(r.api))
	for i := range r.api {
		s[i] = fmt.Sprintf("%.2f×", r.api[i]/r.bare[i])
	}
	return strings.Join(s, ", ")
}

// throughput runs hello from conc clients for dur; any failure is an error.
func throughput(url string, conc int, dur time.Duration) (float64, error) {
	return load(conc, dur, func() error { return postExecute(url, hello) })
}

// load calls do from conc goroutines for a warm-up of dur/5, then for
// dur: the calls that ended within dur, per second, or an error naming
// how many of the calls failed. The warm-up puts a server with warm pools
// into its steady state first: at rest its pools hold sandboxes started
// before the window, whose start-up the window would otherwise get for
// free. It starts once the machine is quiet (settle), so nothing left
// over from an earlier phase (a pool refilling) slows this one.
func load(conc int, dur time.Duration, do func() error) (float64, error) {
	settle()
	var ok, failed atomic.Int64
	from := time.Now().Add(dur / 5)
	deadline := from.Add(dur)
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				err := do()
				if err != nil {
					failed.Add(1)
					continue
				}
				if now := time.Now(); now.After(from) && !now.After(deadline) {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return 0, fmt.Errorf("%d calls failed (%d counted succeeded)", n, ok.Load())
	}
	return float64(ok.Load()) / dur.Seconds(), nil
}

// settle waits (up to 15 s) until the machine has been at most 10 % busy
// for a quarter of a second.
func settle() {
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); {
		b0, t0 := cpuTicks()
		time.Sleep(250 * time.Millisecond)
		b1, t1 := cpuTicks()
		if t1 <= t0 || float64(b1-b0) <= 0.10*float64(t1-t0) {
			return
		}
	}
}

// cpuTicks reads the machine's busy and total CPU ticks from /proc/stat
// (busy: all but idle and iowait); zeros where it can't.
func cpuTicks() (busy, total uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseUint(f, 10, 64)
		total += v
		if i != 3 && i != 4 {
			busy += v
		}
	}
	return busy, total
}
