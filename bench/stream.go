package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// streamRows: how long after the program prints a line the client sees it.
// Sandbox and client share the host clock, so each printed time.time_ns()
// is compared with the arrival time of its event.
func streamRows(s *server, n int) ([]row, error) {
	code := fmt.Sprintf("import time\nfor _ in range(%d):\n    print(time.time_ns())\n    time.sleep(0.01)", n)
	body, _ := json.Marshal(map[string]any{"code": code})
	resp, err := client.Post(s.url+"/api/v1/code/execute/stream", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var lat []time.Duration
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		now := time.Now()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		var ev struct{ Type, Content, Status string }
		if json.Unmarshal([]byte(line[6:]), &ev) != nil {
			continue
		}
		if ev.Type == "complete" && ev.Status != "success" {
			return nil, fmt.Errorf("stream run %s", ev.Status)
		}
		if ev.Type != "output" {
			continue
		}
		for _, f := range strings.Fields(ev.Content) {
			if ns, err := strconv.ParseInt(f, 10, 64); err == nil {
				lat = append(lat, now.Sub(time.Unix(0, ns)))
			}
		}
	}
	if len(lat) < n/2 {
		return nil, fmt.Errorf("only %d timestamps arrived", len(lat))
	}
	return []row{{"`print` in the sandbox → SSE event at the client (loopback)", ms(percentile(lat, .5)), ms(percentile(lat, .95)), fmt.Sprintf("%d lines, 10 ms apart", len(lat))}}, nil
}

var metricLine = regexp.MustCompile(`(?m)^(go_goroutines|process_resident_memory_bytes) ([0-9.e+]+)$`)

func readMetrics(url string) (goroutines, rss float64, err error) {
	resp, err := client.Get(url + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, m := range metricLine.FindAllStringSubmatch(string(b), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		if m[1] == "go_goroutines" {
			goroutines = v
		} else {
			rss = v
		}
	}
	return goroutines, rss, nil
}

// manyStreamsRows opens k streams whose programs wait on input(), and reads
// the server's goroutines and resident memory while all are open.
func manyStreamsRows(ctx context.Context, bin string, k int) ([]row, error) {
	s, err := startServer(ctx, bin, map[string]string{"RUNBLOCK_MAX_CONCURRENT": fmt.Sprint(k), "RUNBLOCK_MAX_QUEUE": "0"}, unlimited)
	if err != nil {
		return nil, err
	}
	g0, rss0, err := readMetrics(s.url)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	started := make(chan error, k)
	body, _ := json.Marshal(map[string]any{"code": "name = input()\nprint(name)", "timeout": 30})
	for i := 0; i < k; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(cctx, "POST", s.url+"/api/v1/code/execute/stream", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				started <- err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				started <- fmt.Errorf("status %d", resp.StatusCode)
				return
			}
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if strings.Contains(sc.Text(), `"type":"start"`) {
					started <- nil
					break
				}
			}
			io.Copy(io.Discard, resp.Body)
		}()
	}
	ok := 0
	for i := 0; i < k; i++ {
		if err := <-started; err == nil {
			ok++
		}
	}
	time.Sleep(500 * time.Millisecond) // let every sandbox reach input()
	g1, rss1, err := readMetrics(s.url)
	if err != nil {
		return nil, err
	}
	cancel()
	wg.Wait()
	time.Sleep(2 * time.Second)
	g2, rss2, _ := readMetrics(s.url)
	return []row{{
		fmt.Sprintf("%d streams open at once (programs waiting in input())", k), "", "",
		fmt.Sprintf("%d/%d started; server goroutines %.0f → %.0f (%.1f per stream), RSS %.0f → %.0f MB; after close: %.0f goroutines, %.0f MB",
			ok, k, g0, g1, (g1-g0)/float64(max(ok, 1)), rss0/1e6, rss1/1e6, g2, rss2/1e6),
	}}, nil
}
