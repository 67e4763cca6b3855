package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// The wasm environment end to end: compiled in the real sandbox, run in
// wazero by /execute, or served to the browser by hash.

func TestWasmExecute(t *testing.T) {
	ts := startServer(t, nil)
	url := ts.URL + "/api/v1/code/execute"
	cases := []struct {
		name   string
		body   string
		status int
		want   map[string]any
		has    map[string]string
	}{
		{"c hello", `{"code":"#include <stdio.h>\nint main(void){puts(\"hello from wasm c\");return 0;}","language":"c","environment":"wasm"}`, 200,
			map[string]any{"output": "hello from wasm c\n", "status": "success", "environment": "wasm", "language": "c", "exit_code": 0.0}, nil},
		{"rust hello", `{"code":"fn main() { println!(\"hello from wasm rust\"); }","language":"rust","environment":"wasm"}`, 200,
			map[string]any{"output": "hello from wasm rust\n", "status": "success", "environment": "wasm"}, nil},
		{"stdin echo", `{"code":"use std::io::Read;\nfn main() { let mut s = String::new(); std::io::stdin().read_to_string(&mut s).unwrap(); print!(\"{}\", s.to_uppercase()); }","language":"rust","environment":"wasm","stdin":"shout\n"}`, 200,
			map[string]any{"output": "SHOUT\n", "status": "success"}, nil},
		{"exit code", `{"code":"int main(void){return 7;}","language":"c","environment":"wasm"}`, 200,
			map[string]any{"status": "error", "exit_code": 7.0}, map[string]string{"error": "exited with code 7"}},
		{"loop stops at the time limit", `{"code":"int main(void){ volatile int n = 0; for(;;) n++; }","language":"c","environment":"wasm","timeout":1}`, 200,
			map[string]any{"status": "timeout"}, map[string]string{"error": "timed out after 1s"}},
		{"memory limit", `{"code":"fn main() { let mut v = Vec::new(); loop { v.push(vec![1u8; 1 << 20]); } }","language":"rust","environment":"wasm"}`, 200,
			map[string]any{"status": "memory_limit"}, map[string]string{"error": "memory"}},
		{"output cap", `{"code":"#include <stdio.h>\nint main(void){ for(;;) puts(\"flood\"); }","language":"c","environment":"wasm"}`, 200,
			map[string]any{"status": "error", "truncated": true}, nil},
		{"compile error", `{"code":"int main(void){ return x; }","language":"c","environment":"wasm"}`, 200,
			map[string]any{"status": "error", "stage": "compile"}, map[string]string{"error": "undeclared identifier"}},
		{"python is not a wasm language", `{"code":"print(1)","language":"python","environment":"wasm"}`, 400,
			map[string]any{"code": "unsupported_environment"}, map[string]string{"error": "c, c++, rust"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, m := postJSON(t, url, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, tc.status, m)
			}
			for k, v := range tc.want {
				if m[k] != v {
					t.Errorf("%s = %#v, want %#v (%v)", k, m[k], v, m)
				}
			}
			for k, v := range tc.has {
				if s, _ := m[k].(string); !strings.Contains(s, v) {
					t.Errorf("%s = %#v, want it to contain %q", k, m[k], v)
				}
			}
		})
	}
}

func TestWasmStreamInteractiveInput(t *testing.T) {
	ts := startServer(t, nil)
	_, ch := openStream(t, context.Background(), ts.URL, mustJSON(map[string]any{
		"language": "c", "environment": "wasm",
		"code": "#include <stdio.h>\nint main(void){ char n[64]; printf(\"name? \"); fflush(stdout); if (!fgets(n, sizeof n, stdin)) return 1; printf(\"hi %s\", n); return 0; }\n",
	}))
	start := <-ch
	id, _ := start.data["id"].(string)
	waitForOutput(t, ch, "name? ")
	if resp, m := postJSON(t, ts.URL+"/api/v1/code/executions/"+id+"/stdin", `{"data":"Ada\n"}`); resp.StatusCode != 202 {
		t.Fatalf("stdin: %d %v", resp.StatusCode, m)
	}
	waitForOutput(t, ch, "hi Ada")
	evs := collect(ch)
	if len(evs) == 0 || evs[len(evs)-1].data["status"] != "success" {
		t.Fatalf("no successful complete: %v", evs)
	}
}

func TestWasmCompileAndServeModule(t *testing.T) {
	ts := startServer(t, nil)
	compile := ts.URL + "/api/v1/wasm/compile"
	src := mustJSON(map[string]string{"language": "rust", "code": "fn main() { println!(\"served by hash\"); }\n"})
	resp, first := postJSON(t, compile, src)
	if resp.StatusCode != 200 || first["ok"] != true || first["cached"] != false {
		t.Fatalf("first compile: %d %v", resp.StatusCode, first)
	}
	hash, _ := first["hash"].(string)
	if first["url"] != "/api/v1/wasm/"+hash || first["size"].(float64) < 100 {
		t.Fatalf("compile response: %v", first)
	}

	get, err := http.Get(ts.URL + "/api/v1/wasm/" + hash)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(get.Body)
	get.Body.Close()
	sum := sha256.Sum256(body)
	if get.StatusCode != 200 || hex.EncodeToString(sum[:]) != hash || get.Header.Get("Content-Type") != "application/wasm" ||
		!strings.Contains(get.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("module: %d %v, %d bytes", get.StatusCode, get.Header, len(body))
	}

	// The same source again: the cache answers with the same module, and
	// the sandbox compiled nothing.
	compiles, hits := wasmMetric(t, ts.URL, "runblock_wasm_compiles_total"), wasmMetric(t, ts.URL, "runblock_wasm_cache_hits_total")
	resp, second := postJSON(t, compile, src)
	if resp.StatusCode != 200 || second["cached"] != true || second["hash"] != hash {
		t.Fatalf("second compile: %v", second)
	}
	if c, h := wasmMetric(t, ts.URL, "runblock_wasm_compiles_total"), wasmMetric(t, ts.URL, "runblock_wasm_cache_hits_total"); c != compiles || h != hits+1 {
		t.Fatalf("after a cache hit: compiles %v→%v, hits %v→%v", compiles, c, hits, h)
	}

	resp, bad := postJSON(t, compile, `{"language":"c","code":"int main(void) {\n  return nope;\n}\n"}`)
	diags, _ := bad["diagnostics"].([]any)
	if resp.StatusCode != 200 || bad["ok"] != false || bad["status"] != "error" || len(diags) == 0 {
		t.Fatalf("compile error: %d %v", resp.StatusCode, bad)
	}
	if d := diags[0].(map[string]any); d["line"] != 2.0 || d["column"] != 10.0 || d["severity"] != "error" {
		t.Fatalf("diagnostic %v, want line 2 column 10", d)
	}

	for path, want := range map[string]int{
		"/api/v1/wasm/" + strings.Repeat("0", 64): 404,
		"/api/v1/wasm/not-a-hash":                 400,
	} {
		r, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, r.StatusCode, want)
		}
	}
	for body, want := range map[string]int{
		`{"language":"python","code":"print(1)"}`: 400,
		`{"language":"c","code":"  "}`:            400,
		`{"language":"c"`:                         400,
	} {
		if r, m := postJSON(t, compile, body); r.StatusCode != want {
			t.Errorf("compile %s: %d %v, want %d", body, r.StatusCode, m, want)
		}
	}
}

func TestWasmEnvironmentListed(t *testing.T) {
	ts := startServer(t, nil)
	resp, err := http.Get(ts.URL + "/api/v1/code/environments")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Environments []struct {
			ID        string `json:"id"`
			Available bool   `json:"available"`
			Languages []struct{ Name, Version string }
		}
	}
	if err := jsonDecode(resp.Body, &body); err != nil {
		t.Fatal(err)
	}
	for _, e := range body.Environments {
		if e.ID != "wasm" {
			continue
		}
		got := map[string]string{}
		for _, l := range e.Languages {
			got[l.Name] = l.Version
		}
		if !e.Available || !strings.Contains(got["c"], "clang") || !strings.Contains(got["c++"], "clang") || !strings.Contains(got["rust"], "rustc") {
			t.Fatalf("wasm environment: %+v", e)
		}
		return
	}
	t.Fatal("no wasm environment listed")
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// wasmMetric reads one counter from /metrics.
func wasmMetric(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}

// A wasm run the browser did is reported like a Pyodide run: it is in
// history with its language and environment.
func TestWasmBrowserRunReported(t *testing.T) {
	ts := startServer(t, nil)
	url := ts.URL + "/api/v1/code/executions"
	resp, m := postJSON(t, url, `{"code":"fn main() {}","language":"Rust","environment":"wasm","status":"success","output":"hi\n","execution_time":0.01,"exit_code":0}`)
	if resp.StatusCode != 201 || m["environment"] != "wasm" || m["language"] != "rust" || m["output"] != "hi\n" {
		t.Fatalf("report: %d %v", resp.StatusCode, m)
	}
	for body, code := range map[string]string{
		`{"code":"print(1)","language":"python","environment":"wasm","status":"success"}`: "unknown_language",
		`{"code":"x","environment":"wasm","status":"success"}`:                            "unknown_language",
		`{"code":"x","language":"c","environment":"wasm","status":"bogus"}`:               "invalid_status",
	} {
		if r, m := postJSON(t, url, body); r.StatusCode != 400 || m["code"] != code {
			t.Errorf("report %s: %d %v, want 400 %s", body, r.StatusCode, m, code)
		}
	}
}
