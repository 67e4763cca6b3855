package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox/container"
	"github.com/runblock/runblock/internal/sandbox/container/podmantest"
)

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not JSON (%d): %q", resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

func environment(t *testing.T, url, id string) map[string]any {
	t.Helper()
	_, m := getJSON(t, url+"/api/v1/code/environments")
	for _, e := range m["environments"].([]any) {
		if env := e.(map[string]any); env["id"] == id {
			return env
		}
	}
	t.Fatalf("no environment %s in %v", id, m)
	return nil
}

// TestDockerEnvironmentThroughTheEngine: with an engine configured, the
// docker environment runs in the image (Podman's API service here), and
// when the engine goes away /environments and /readyz say so and runs
// answer 503.
func TestDockerEnvironmentThroughTheEngine(t *testing.T) {
	e := podmantest.Start(t)
	owner := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	cfg := fmt.Sprintf(`{"rate_limit": {"per_role": {"anonymous": 100000}},
		"containers": {"engine": %q, "owner": %q, "warm": 1, "environments": {"docker": {"name": "Python image", "image": %q,
			"languages": {"python": {"name": "python", "file_name": "main.py", "run": ["python3", "-u", "main.py"]}}}}}}`,
		e.Host, owner, e.Image)
	ts := startServer(t, nil, "--config", writeConfig(t, cfg))
	api := ts.URL + "/api/v1/code"

	resp, m := postJSON(t, api+"/execute", `{"code":"import pwd\nprint(input(), pwd.getpwnam('runner').pw_uid)","environment":"docker","stdin":"hello\n"}`)
	// Only the test image has the user runner (10001); the teaching
	// policy (which refuses pwd) is the server sandbox's, not the image's.
	if resp.StatusCode != 200 || m["status"] != "success" || m["environment"] != "docker" || m["output"] != "hello 10001\n" {
		t.Fatalf("docker run: %d %v", resp.StatusCode, m)
	}
	d := environment(t, ts.URL, "docker")
	if d["available"] != true || d["alias_of"] != nil || !strings.HasPrefix(d["runtime"].(string), "container ") {
		t.Fatalf("docker environment: %v", d)
	}
	if l := d["languages"].([]any)[0].(map[string]any); l["name"] != "python" || !strings.HasPrefix(l["version"].(string), "3.") {
		t.Fatalf("version not probed in the image: %v", d)
	}
	r := environment(t, ts.URL, "ros2")
	if r["available"] != false || !strings.Contains(fmt.Sprint(r["limitations"]), "Needs the ros2 image") {
		t.Fatalf("ros2: %v", r)
	}
	resp, m = postJSON(t, api+"/execute", `{"code":"print(1)","environment":"ros2"}`)
	if resp.StatusCode != 503 || m["code"] != "environment_unavailable" || !strings.Contains(m["error"].(string), "needs the ros2 image") {
		t.Fatalf("ros2 run: %d %v", resp.StatusCode, m)
	}

	// Live output, then interactive input, through the stream.
	_, ch := openStream(t, context.Background(), ts.URL, `{"code":"import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.3)\nprint('hi', input('name? '))","environment":"docker"}`)
	start := <-ch
	id, _ := start.data["id"].(string)
	var times []time.Time
	var got strings.Builder
	for ev := range ch {
		if c, _ := ev.data["content"].(string); c != "" {
			got.WriteString(c)
			times = append(times, ev.at)
		}
		if strings.Contains(got.String(), "name? ") {
			break
		}
	}
	if len(times) < 3 || times[len(times)-1].Sub(times[0]) < 400*time.Millisecond {
		t.Fatalf("output not live: %d events over %v (%q)", len(times), times, got.String())
	}
	if resp, m := postJSON(t, api+"/executions/"+id+"/stdin", `{"data":"Ada\n","eof":true}`); resp.StatusCode != 202 {
		t.Fatalf("stdin: %d %v", resp.StatusCode, m)
	}
	waitForOutput(t, ch, "hi Ada")
	if rest := collect(ch); len(rest) == 0 || rest[len(rest)-1].data["status"] != "success" {
		t.Fatalf("streamed docker run: %v", rest)
	}

	e.Stop()
	d = environment(t, ts.URL, "docker")
	if d["available"] != false || !strings.Contains(fmt.Sprint(d["limitations"]), "Not available: ") {
		t.Fatalf("docker with the engine gone: %v", d)
	}
	status, m := getJSON(t, ts.URL+"/readyz")
	if status != 200 || m["status"] != "degraded" || !strings.Contains(fmt.Sprint(m["warnings"]), "environment docker unavailable") {
		t.Fatalf("readyz with the engine gone: %d %v", status, m)
	}
	resp, m = postJSON(t, api+"/execute", `{"code":"print(1)","environment":"docker"}`)
	if resp.StatusCode != 503 || m["code"] != "environment_unavailable" || resp.Header.Get("Retry-After") == "" || !strings.Contains(m["error"].(string), "docker is unavailable") {
		t.Fatalf("docker run with the engine gone: %d %v", resp.StatusCode, m)
	}
	// The server's own sandbox is unaffected.
	resp, m = postJSON(t, api+"/execute", `{"code":"print(2)"}`)
	if resp.StatusCode != 200 || m["output"] != "2\n" {
		t.Fatalf("server run: %d %v", resp.StatusCode, m)
	}
	// The warm container the engine took down with it is removed by the
	// next start on a live engine.
	ts.stop(t)
	e2 := podmantest.Start(t)
	if len(podmantest.Owned(t, e2.Host, owner+".docker")) == 0 {
		t.Fatal("no container left when the engine went away: nothing to check")
	}
	rt, err := container.New(context.Background(), container.Config{Host: e2.Host, Image: e2.Image, Owner: owner + ".docker"})
	if err != nil {
		t.Fatal(err)
	}
	rt.Close()
	if left := podmantest.Owned(t, e2.Host, owner+".docker"); len(left) != 0 {
		t.Fatalf("containers left after a start on a live engine: %v", left)
	}
}

// TestKill9ServerLeavesNoContainer: a server killed with SIGKILL while a
// program runs and a warm container waits leaves both behind; the next
// start removes them.
func TestKill9ServerLeavesNoContainer(t *testing.T) {
	e := podmantest.Start(t)
	owner := fmt.Sprintf("kill9-%d", time.Now().UnixNano())
	cfg := writeConfig(t, fmt.Sprintf(`{"rate_limit": {"per_role": {"anonymous": 100000}},
		"containers": {"engine": %q, "owner": %q, "warm": 1, "environments": {"docker": {"image": %q,
			"languages": {"python": {"name": "python", "file_name": "main.py", "run": ["python3", "-u", "main.py"]}}}}}}`,
		e.Host, owner, e.Image))
	ps := startServerProcess(t, t.TempDir(), nil, "--config", cfg)
	go http.Post(ps.URL+"/api/v1/code/execute", "application/json", strings.NewReader(`{"code":"import time\ntime.sleep(120)","environment":"docker"}`))
	var before map[string]string
	deadline := time.Now().Add(60 * time.Second)
	for {
		// The run's container and a warm one (refilled after the run took one).
		if before = podmantest.Owned(t, e.Host, owner+".docker"); len(before) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("containers of the killed server: %v\n%s", before, ps.Stderr())
		}
		time.Sleep(100 * time.Millisecond)
	}
	ps.kill(t)
	if left := podmantest.Owned(t, e.Host, owner+".docker"); len(left) < 2 {
		t.Fatalf("nothing left behind to clean: %v", left)
	}
	startServer(t, nil, "--config", cfg)
	for id := range podmantest.Owned(t, e.Host, owner+".docker") {
		if _, ok := before[id]; ok {
			t.Fatalf("container %s of the killed server still there after restart", id)
		}
	}
}
