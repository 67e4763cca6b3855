package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// The same plot twice: shown (rendered to PNG in the sandbox, sent over the
// figure channel, base64 in the answer) and saved to /tmp and closed (the
// same rendering, text-only answer). The difference is the image path's cost.
const (
	plotShown = `import matplotlib.pyplot as plt
plt.plot([1, 4, 2, 3]); plt.title("bench")
plt.show()
print("ok")
`
	plotSaved = `import matplotlib.pyplot as plt
plt.plot([1, 4, 2, 3]); plt.title("bench")
plt.savefig("/tmp/bench.png", dpi=100); plt.close()
print("ok")
`
)

// postImages posts code and requires success and the given image count; it
// returns the run's CPU time (the sandbox's cgroup), which contention on the
// host stretches far less than wall time.
func postImages(url, code string, want int) (time.Duration, error) {
	body, _ := json.Marshal(map[string]string{"code": code})
	resp, err := client.Post(url+"/api/v1/code/execute", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Status  string
		CPUTime float64 `json:"cpu_time"`
		Images  []struct{ Data []byte }
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(raw, &r) != nil || r.Status != "success" || len(r.Images) != want {
		return 0, fmt.Errorf("execute: %d %.300s", resp.StatusCode, raw)
	}
	return time.Duration(r.CPUTime * float64(time.Second)), nil
}

// figureRows times both programs alternately (so drift hits both alike),
// n samples each, capped at 30: a matplotlib run takes seconds at half a CPU.
func figureRows(s *server, n int) ([]row, error) {
	n = min(n, 30)
	for i := 0; i < 2; i++ {
		if _, err := postImages(s.url, plotShown, 1); err != nil {
			return nil, err
		}
	}
	var shown, saved, shownCPU, savedCPU []time.Duration
	for i := 0; i < n; i++ {
		for _, c := range []struct {
			code string
			want int
			into *[]time.Duration
			cpu  *[]time.Duration
		}{{plotShown, 1, &shown, &shownCPU}, {plotSaved, 0, &saved, &savedCPU}} {
			start := time.Now()
			cpu, err := postImages(s.url, c.code, c.want)
			if err != nil {
				return nil, err
			}
			*c.into = append(*c.into, time.Since(start))
			*c.cpu = append(*c.cpu, cpu)
		}
	}
	added := percentile(shown, .5) - percentile(saved, .5)
	addedCPU := percentile(shownCPU, .5) - percentile(savedCPU, .5)
	return []row{
		{fmt.Sprintf("`POST /execute` one-figure plot, `plt.show()` → image in the answer (%d samples)", n), ms(percentile(shown, .5)), ms(percentile(shown, .95)), "sandbox CPU p50 " + ms(percentile(shownCPU, .5))},
		{"`POST /execute` same plot, `savefig` to /tmp, text-only answer", ms(percentile(saved, .5)), ms(percentile(saved, .95)),
			fmt.Sprintf("sandbox CPU p50 %s; **image path adds %s wall, %s CPU at p50**", ms(percentile(savedCPU, .5)), ms(added), ms(addedCPU))},
	}, nil
}
