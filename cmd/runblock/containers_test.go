package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

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
	cfg := fmt.Sprintf(`{"rate_limit": {"per_role": {"anonymous": 100000}},
		"containers": {"engine": %q, "owner": "e2e-%d", "warm": 1, "environments": {"docker": {"name": "Python image", "image": %q,
			"languages": {"python": {"name": "python", "file_name": "main.py", "run": ["python3", "-u", "main.py"]}}}}}}`,
		e.Host, time.Now().UnixNano(), e.Image)
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
}
