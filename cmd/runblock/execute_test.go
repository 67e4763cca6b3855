package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

func TestExecuteAPI(t *testing.T) {
	ts := startServer(t, nil)
	url := ts.URL + "/api/v1/code/execute"
	big := strings.Repeat("#", 64<<10+1)
	cases := []struct {
		name   string
		body   string
		status int
		want   map[string]any // exact values of top-level fields
		has    map[string]string
	}{
		{"hello", `{"code":"print('Hello, World!')","language":"python","environment":"pyodide","timeout":30}`, 200,
			map[string]any{"output": "Hello, World!\n", "error": nil, "status": "success", "environment": "server", "truncated": false, "exit_code": 1.0 * 0, "language": "python"},
			map[string]string{"warnings": "browser"}},
		{"defaults", `{"code":"print(2+2)"}`, 200, map[string]any{"output": "4\n", "status": "success", "environment": "server"}, nil},
		{"docker alias", `{"code":"print(1)","environment":"docker"}`, 200, map[string]any{"environment": "server", "warnings": []any{}}, nil},
		{"stderr and exit code", `{"code":"print('out')\nraise SystemExit('bad thing')"}`, 200,
			map[string]any{"output": "out\n", "error": "bad thing\n", "status": "error", "exit_code": 1.0}, nil},
		{"exception", `{"code":"1/0"}`, 200, map[string]any{"status": "error"}, map[string]string{"error": "ZeroDivisionError"}},
		{"stdin", `{"code":"print(input()[::-1])","stdin":"olleh\n"}`, 200, map[string]any{"output": "hello\n"}, nil},
		{"timeout", `{"code":"while True: pass","timeout":1}`, 200, map[string]any{"status": "timeout", "exit_code": nil}, map[string]string{"error": "timed out after 1s"}},
		{"memory", `{"code":"x = b'x' * (400 << 20)"}`, 200, map[string]any{"status": "memory_limit"}, map[string]string{"error": "Memory limit exceeded (128 MB)"}},
		{"truncated", `{"code":"print('x' * 20000)"}`, 200, map[string]any{"truncated": true, "status": "success"}, nil},
		{"c", `{"code":"#include <stdio.h>\nint main(void){puts(\"hi from C\");return 0;}","language":"c"}`, 200, map[string]any{"output": "hi from C\n", "language": "c"}, nil},
		{"c compile error", `{"code":"int main(void){return 0}","language":"C"}`, 200, map[string]any{"status": "error", "stage": "compile"}, map[string]string{"error": "error"}},
		{"policy violation", `{"code":"import os\nos.system('ls')"}`, 422,
			map[string]any{"status": "rejected", "valid": false, "code": "policy_violation", "error": teachingOSError}, nil},
		{"bypass attempt", `{"code":"__import__('o'+'s').system('id')"}`, 422, map[string]any{"status": "rejected"}, nil},
		{"syntax error runs and fails like Python", `{"code":"print(1"}`, 200, map[string]any{"status": "error"}, map[string]string{"error": "SyntaxError"}},
		{"warnings pass through", `{"code":"while True:\n    pass","timeout":1}`, 200, map[string]any{"status": "timeout"}, map[string]string{"warnings": "infinite loop"}},
		{"malformed", `{"code":`, 400, map[string]any{"code": "malformed_json"}, nil},
		{"not an object", `[1,2]`, 400, map[string]any{"code": "malformed_json"}, nil},
		{"two objects", `{"code":"print(1)"} {}`, 400, map[string]any{"code": "malformed_json"}, nil},
		{"empty body", ``, 400, map[string]any{"code": "malformed_json"}, nil},
		{"wrong type", `{"code":42}`, 400, map[string]any{"code": "invalid_field"}, map[string]string{"error": `"code" must be a string`}},
		{"empty code", `{"code":"  "}`, 400, map[string]any{"code": "empty_code"}, nil},
		{"unknown language", `{"code":"x","language":"cobol"}`, 400, map[string]any{"code": "unknown_language"}, map[string]string{"error": "valid: bash, c, c++, go, java, javascript, python, rust, sql, typescript"}},
		{"unknown environment", `{"code":"x","environment":"lambda"}`, 400, map[string]any{"code": "unknown_environment"}, map[string]string{"error": "server, docker, pyodide"}},
		{"pyodide only python", `{"code":"x","language":"c","environment":"pyodide"}`, 400, map[string]any{"code": "unsupported_environment"}, nil},
		{"timeout too small", `{"code":"x","timeout":0.5}`, 400, map[string]any{"code": "invalid_timeout"}, nil},
		{"timeout too big", `{"code":"x","timeout":31}`, 400, map[string]any{"code": "invalid_timeout"}, nil},
		{"code too large", mustJSON(map[string]string{"code": big}), 413, map[string]any{"code": "code_too_large"}, nil},
		{"body too large", `{"code":"` + strings.Repeat("a", 2<<20) + `"}`, 413, map[string]any{"code": "body_too_large"}, nil},
		{"nul byte", `{"code":"print(1)\u0000"}`, 400, map[string]any{"code": "invalid_encoding"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, m := postJSON(t, url, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, c.status, m)
			}
			for k, v := range c.want {
				if fmt.Sprint(m[k]) != fmt.Sprint(v) {
					t.Errorf("%s = %#v, want %#v (response %v)", k, m[k], v, m)
				}
			}
			for k, sub := range c.has {
				if !strings.Contains(fmt.Sprint(m[k]), sub) {
					t.Errorf("%s = %v, want it to contain %q", k, m[k], sub)
				}
			}
			if c.status == 200 {
				for _, k := range []string{"output", "error", "execution_time", "status", "environment", "truncated", "id", "exit_code", "language", "cpu_time", "memory_peak_bytes", "warnings"} {
					if _, ok := m[k]; !ok {
						t.Errorf("response lacks %q: %v", k, m)
					}
				}
			} else if c.status == 422 {
				if _, ok := m["errors"]; !ok {
					t.Errorf("rejection lacks /validate's fields: %v", m)
				}
			} else if m["error"] == nil || m["code"] == nil {
				t.Errorf("error response lacks error/code: %v", m)
			}
			if resp.Header.Get("Cross-Origin-Embedder-Policy") != "require-corp" || resp.Header.Get("X-Request-ID") == "" {
				t.Errorf("headers: %v", resp.Header)
			}
		})
	}
}

func TestHealthAndUnknownRoutes(t *testing.T) {
	ts := startServer(t, nil)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/api/v1/code/nope": 404} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestBusyServerRefusesWith503(t *testing.T) {
	ts := startServer(t, map[string]string{"RUNBLOCK_MAX_CONCURRENT": "1", "RUNBLOCK_MAX_QUEUE": "0"})
	url := ts.URL + "/api/v1/code/execute"
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if resp, m := postJSON(t, url, `{"code":"import time; time.sleep(2)"}`); resp.StatusCode != 200 {
			t.Errorf("long run: %d %v", resp.StatusCode, m)
		}
	}()
	// Wait until the long run holds the only slot.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(ts.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		var st struct{ Running int }
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if st.Running == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("long run never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, m := postJSON(t, url, `{"code":"print(1)"}`)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || m["code"] != "busy" {
		t.Fatalf("while full: %d %v %v", resp.StatusCode, resp.Header, m)
	}
	wg.Wait()
}

// sandboxOnly runs learners' code with the syntax-only policy: these tests
// need subprocess, which the strict policy refuses before the sandbox sees it.
var sandboxOnly = map[string]string{"RUNBLOCK_EXECUTE_POLICY": "sandbox-only"}

func TestClientDisconnectCancelsRun(t *testing.T) {
	ts := startServer(t, sandboxOnly)
	token := sandboxtest.UniqueToken()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := mustJSON(map[string]string{"code": fmt.Sprintf("import subprocess\nsubprocess.run(['/bin/sh','-c','sleep 600; : %s'])", token)})
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/api/v1/code/execute", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	// Seeing nothing afterwards proves something only if the program ran.
	deadline := time.Now().Add(10 * time.Second)
	for len(sandboxtest.FindProcesses(token)) == 0 {
		select {
		case err := <-errc:
			t.Fatalf("the run ended before its process was seen: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the run's process never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("request should have been cut off by the client")
	}
	sandboxtest.AssertNoProcess(t, token)
}

func TestShutdownKillsRunningSandboxes(t *testing.T) {
	ts := startServer(t, sandboxOnly)
	token := sandboxtest.UniqueToken()
	body := mustJSON(map[string]string{"code": fmt.Sprintf("import subprocess\nsubprocess.run(['/bin/sh','-c','sleep 600; : %s'])", token)})
	go http.Post(ts.URL+"/api/v1/code/execute", "application/json", strings.NewReader(body))
	deadline := time.Now().Add(5 * time.Second)
	for len(sandboxtest.FindProcesses(token)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("run never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	ts.stop(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %s", d)
	}
	sandboxtest.AssertNoProcess(t, token)
}

// continuationFlood is issue 9's program: 100 MiB of the byte 0x80, which
// is no character's first byte and was never counted against the cap.
const continuationFlood = `#include <string.h>
#include <unistd.h>
int main(){ static char b[1<<20]; memset(b,0x80,sizeof b);
  for(int i=0;i<100;i++) for(long o=0;o<sizeof b;) o+=write(1,b+o,sizeof b-o); }`

func TestContinuationByteFloodIsCapped(t *testing.T) {
	ts := startServer(t, nil)
	resp, err := http.Post(ts.URL+"/api/v1/code/execute", "application/json",
		strings.NewReader(mustJSON(map[string]string{"code": continuationFlood, "language": "c"})))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m struct {
		Output    string `json:"output"`
		Truncated bool   `json:"truncated"`
		Status    string `json:"status"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%d %.200q: %v", resp.StatusCode, raw, err)
	}
	// Every 0x80 is an invalid character: 10,000 replacement characters
	// (3 bytes each) and a little JSON around them.
	if !m.Truncated || m.Output != strings.Repeat("\uFFFD", 10000) || len(raw) > 64<<10 {
		t.Fatalf("truncated=%v status=%s: %d output chars, %d bytes of JSON", m.Truncated, m.Status, utf8.RuneCountInString(m.Output), len(raw))
	}
}
