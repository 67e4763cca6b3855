package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
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

	rps, err := throughput(s.url, conc, dur)
	if err != nil {
		return nil, err
	}
	bareRPS, err := bareThroughput(conc, dur)
	if err != nil {
		return nil, err
	}
	floorRPS, err := spawnThroughput(conc, dur, floorArgv()...)
	if err != nil {
		return nil, err
	}
	return []row{
		{"bare `/usr/bin/python3 -c \"print('Hello, World!')\"` (baseline)", ms(percentile(bare, .5)), ms(percentile(bare, .95)), "no isolation"},
		{"`POST /execute` same program, bwrap sandbox", ms(percentile(api, .5)), ms(percentile(api, .95)), fmt.Sprintf("**p50 ratio %.2f× bare**", ratio)},
		{fmt.Sprintf("`POST /execute` throughput, concurrency %d, %s", conc, dur), "", "", fmt.Sprintf("%.1f runs/s, none failed; **%.2f× bare spawns/s**", rps, rps/bareRPS)},
		{fmt.Sprintf("bare `python3 -c` spawns, concurrency %d, %s (baseline)", conc, dur), "", "", fmt.Sprintf("%.1f spawns/s", bareRPS)},
		{fmt.Sprintf("floor: bare `bwrap --unshare-all … python3 -S -c` spawns, concurrency %d, %s", conc, dur), "", "", fmt.Sprintf("%.1f spawns/s; **%.2f× bare**: one fresh sandbox (with a network namespace of its own) and interpreter per run, nothing else", floorRPS, floorRPS/bareRPS)},
	}, nil
}

// throughput runs hello from conc clients for dur; any failure is an error.
func throughput(url string, conc int, dur time.Duration) (float64, error) {
	return load(conc, dur, func() error { return postExecute(url, hello) })
}

// load calls do from conc goroutines until dur is over: successes per
// second, or an error naming how many of the calls failed.
func load(conc int, dur time.Duration, do func() error) (float64, error) {
	var ok, failed atomic.Int64
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if do() == nil {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return 0, fmt.Errorf("%d of %d calls failed", n, n+ok.Load())
	}
	return float64(ok.Load()) / time.Since(start).Seconds(), nil
}
