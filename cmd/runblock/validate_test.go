package main

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/web"
)

// valExpect requires every field of want (a JSON object) to be exactly the
// response's field of the same name.
func valExpect(t *testing.T, what string, got map[string]any, want string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation %s: %v", what, want, err)
	}
	for k, v := range w {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, v) {
			t.Errorf("%s: %s = %s, want %s (response %s)", what, k, mustJSON(got[k]), mustJSON(v), mustJSON(got))
		}
	}
}

// TestValidateAPI covers POST /api/v1/code/validate on the real sandbox:
// the checker runs in bubblewrap exactly as in production.
func TestValidateAPI(t *testing.T) {
	ts := startServer(t, nil)
	url := ts.URL + "/api/v1/code/validate"
	seedError := "Security violation: import os is not allowed"
	cases := []struct {
		name   string
		body   string
		status int
		want   string // exact values of these fields
		exact  bool   // want is the whole body
	}{
		{"seed example", `{"code":"import os; os.system('ls')","language":"python","policy":"strict"}`, 200,
			`{"valid":false,"error":"` + seedError + `","warnings":[],` +
				`"errors":[{"line":1,"column":1,"end_line":1,"end_column":10,"message":"` + seedError + `"}],` +
				`"warning_details":[],"policy":"strict","policy_violation":true}`, true},
		{"valid code", `{"code":"name = 'Ada'\nprint(f'Hello {name}')","language":"python"}`, 200,
			`{"valid":true,"error":null,"warnings":[],"errors":[],"warning_details":[],"policy":"teaching","policy_violation":false}`, true},
		{"the default explains", `{"code":"import os; os.system('ls')"}`, 200,
			`{"valid":false,"policy":"teaching","policy_violation":true}`, false},
		{"language defaults to python", `{"code":"print(1)"}`, 200, `{"valid":true,"errors":[],"warnings":[]}`, false},
		{"warning", `{"code":"while True:\n    print(1)"}`, 200,
			`{"valid":true,"error":null,"errors":[],"warnings":["line 1: infinite loop: while True has no break"],` +
				`"warning_details":[{"line":1,"column":1,"end_line":2,"end_column":13,"message":"infinite loop: while True has no break"}]}`, false},
		{"stdin silences the input() warning", `{"code":"n = input()","stdin":true}`, 200, `{"valid":true,"warnings":[]}`, false},
		{"input() without stdin", `{"code":"n = input()"}`, 200,
			`{"valid":true,"warnings":["line 1: input() is called but this run has no input: it will raise EOFError"]}`, false},
		{"syntax error", `{"code":"x = 1\ndef f(:\n    pass"}`, 200,
			`{"valid":false,"error":"SyntaxError: invalid syntax (line 2, column 7)",` +
				`"errors":[{"line":2,"column":7,"end_line":2,"end_column":8,"message":"invalid syntax"}],"policy_violation":false}`, false},
		{"c syntax error", `{"code":"#include <stdio.h>\nint main(void) {\n    puts(\"hi\")\n    return 0;\n}","language":"c"}`, 200,
			`{"valid":false,"error":"error: expected ‘;’ before ‘return’ (line 3, column 15)",` +
				`"errors":[{"line":3,"column":15,"message":"expected ‘;’ before ‘return’"}],"policy":"teaching","policy_violation":false}`, false},
		{"valid c, any case", `{"code":"int main(void) { return 0; }","language":"C"}`, 200,
			`{"valid":true,"error":null,"errors":[],"warnings":[]}`, false},
		{"sandbox-only lets import os through", `{"code":"import os\nos.system('ls')","policy":"sandbox-only"}`, 200,
			`{"valid":true,"error":null,"errors":[],"warnings":[],"policy":"sandbox-only","policy_violation":false}`, false},
		{"sandbox-only still checks syntax", `{"code":"import os\nos.system('ls'","policy":"sandbox-only"}`, 200,
			`{"valid":false,"error":"SyntaxError: '(' was never closed (line 2, column 10)","policy_violation":false}`, false},
		{"unknown language", `{"code":"x = 1","language":"cobol"}`, 400, `{"code":"unknown_language"}`, false},
		{"unknown policy", `{"code":"x = 1","policy":"lenient"}`, 400, `{"code":"unknown_policy"}`, false},
		{"code over 64 KiB", mustJSON(map[string]string{"code": strings.Repeat("#", 64<<10+1)}), 413, `{"code":"code_too_large"}`, false},
		{"malformed JSON", `{"code":`, 400, `{"code":"malformed_json"}`, false},
		{"not an object", `["import os"]`, 400, `{"code":"malformed_json"}`, false},
		{"wrong type", `{"code":"x","stdin":"yes"}`, 400, `{"code":"invalid_field"}`, false},
		{"empty code", `{"code":"","language":"python"}`, 400, `{"code":"empty_code","error":"code must not be empty"}`, false},
		{"blank code", `{"code":" \n\t"}`, 400, `{"code":"empty_code"}`, false},
		{"no code", `{"language":"c"}`, 400, `{"code":"empty_code"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, m := postJSON(t, url, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, c.status, m)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			valExpect(t, c.name, m, c.want)
			if c.exact {
				var w map[string]any
				_ = json.Unmarshal([]byte(c.want), &w)
				if !reflect.DeepEqual(m, w) {
					t.Errorf("body %s\nwant %s", mustJSON(m), c.want)
				}
			}
			if c.status != 200 {
				if len(m) != 2 || m["error"] == nil {
					t.Errorf("error body is not {error, code}: %v", m)
				}
				return
			}
			for _, k := range []string{"valid", "error", "warnings", "errors"} {
				if _, ok := m[k]; !ok {
					t.Errorf("response lacks %q: %v", k, m)
				}
			}
		})
	}
}

// valQuota is the caller's quota use from /stats: runs counted and left.
func valQuota(t *testing.T, api string) [2]float64 {
	t.Helper()
	r, m := histDo(t, "GET", api+"/stats", "", "")
	used, ok1 := m["executions_last_minute"].(float64)
	rem, ok2 := m["remaining"].(float64)
	if r.StatusCode != 200 || !ok1 || !ok2 {
		t.Fatalf("stats: %d %v", r.StatusCode, m)
	}
	return [2]float64{used, rem}
}

// valRunsTotal is the runblock_runs_total lines of /metrics: one per
// language and status of the runs that happened.
func valRunsTotal(t *testing.T, base string) []string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var lines []string
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, "runblock_runs_total{") {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestExecuteAppliesPolicyFirst: a violation answers 422 with /validate's
// answer plus status "rejected", on /execute and /execute/stream alike, and
// the program never runs; syntax errors are not violations and run.
func TestExecuteAppliesPolicyFirst(t *testing.T) {
	// 3 runs a minute: a unit comes back every 20 s, far longer than this
	// test takes, so /stats shows each admitted run.
	ts := startServer(t, nil, "--config", writeConfig(t, `{"rate_limit": {"per_role": {"anonymous": 3}}}`))
	api := ts.URL + "/api/v1/code"
	code := "import random\nprint(random.random())\nimport subprocess\nsubprocess.run(['id'])"
	if got := valQuota(t, api); got != [2]float64{0, 3} {
		t.Fatalf("fresh quota: used %v, remaining %v", got[0], got[1])
	}

	r, verdict := postJSON(t, api+"/validate", mustJSON(map[string]string{"code": code}))
	if r.StatusCode != 200 || verdict["valid"] != false {
		t.Fatalf("validate: %d %v", r.StatusCode, verdict)
	}
	valExpect(t, "validate", verdict, mustJSON(map[string]any{"error": teachingSubprocessError, "policy_violation": true,
		"errors": []any{map[string]any{"line": 3, "column": 1, "end_line": 3, "end_column": 18, "message": teachingSubprocessError}}}))

	// The rejection is /validate's body, every field equal, plus status and code.
	want := map[string]any{"status": "rejected", "code": "policy_violation"}
	for k, v := range verdict {
		want[k] = v
	}
	r, m := postJSON(t, api+"/execute", mustJSON(map[string]string{"code": code}))
	if r.StatusCode != 422 || !reflect.DeepEqual(m, want) {
		t.Fatalf("execute: %d %s\nwant 422 %s", r.StatusCode, mustJSON(m), mustJSON(want))
	}

	// The stream answers before any event: plain JSON, not text/event-stream.
	// Its checks assume interactive input, which changes no error.
	resp, err := http.Post(api+"/execute/stream", "application/json", strings.NewReader(mustJSON(map[string]string{"code": code})))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var sm map[string]any
	if err := json.Unmarshal(raw, &sm); err != nil || resp.StatusCode != 422 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("stream: %d %q %q (%v)", resp.StatusCode, resp.Header.Get("Content-Type"), raw, err)
	}
	if !reflect.DeepEqual(sm, want) {
		t.Fatalf("stream: %s\nwant %s", mustJSON(sm), mustJSON(want))
	}

	// Nothing ran: both are in history as rejected with no exit code, the
	// quota is untouched, and no run finished.
	all := histList(t, ts.URL, "", 10)
	if len(all) != 2 {
		t.Fatalf("history has %d entries, want the 2 rejections: %v", len(all), all)
	}
	for _, e := range all {
		valExpect(t, "history", e, mustJSON(map[string]any{"status": "rejected", "exit_code": nil, "code": code,
			"output": "", "error": teachingSubprocessError, "language": "python"}))
	}
	if got := valQuota(t, api); got != [2]float64{0, 3} {
		t.Errorf("quota after rejections: used %v, remaining %v; want 0 and 3", got[0], got[1])
	}
	if got := valRunsTotal(t, ts.URL); len(got) != 0 {
		t.Errorf("runs finished after rejections: %q", got)
	}

	// A syntax error is no violation: the program runs and Python reports it
	// as it would in a terminal. Both measures above see this run.
	r, m = postJSON(t, api+"/execute", `{"code":"print('hi'"}`)
	if r.StatusCode != 200 {
		t.Fatalf("syntax error: %d %v", r.StatusCode, m)
	}
	valExpect(t, "syntax error", m, `{"status":"error","exit_code":1,"output":"","stage":"run",`+
		`"error":"  File \"/box/main.py\", line 1\n    print('hi'\n         ^\nSyntaxError: '(' was never closed\n"}`)
	if got := valQuota(t, api); got != [2]float64{1, 2} {
		t.Errorf("quota after one run: used %v, remaining %v; want 1 and 2", got[0], got[1])
	}
	if got := valRunsTotal(t, ts.URL); len(got) != 1 || got[0] != `runblock_runs_total{language="python",status="error"} 1` {
		t.Errorf("runs_total after one failed run: %q", got)
	}

	// Nesting CPython's compiler refuses is no violation either.
	r, m = postJSON(t, api+"/execute", mustJSON(map[string]string{"code": "a = 1\nprint(a" + strings.Repeat("+a", 20000) + ")"}))
	if r.StatusCode != 200 {
		t.Fatalf("deep nesting: %d %v", r.StatusCode, m)
	}
	valExpect(t, "deep nesting", m, `{"status":"error","exit_code":1,"output":"","stage":"run",`+
		`"error":"RecursionError: maximum recursion depth exceeded during compilation\n"}`)
}

// TestEnvironmentsAPI: the catalog reports what the sandbox really has.
func TestEnvironmentsAPI(t *testing.T) {
	ts := startServer(t, nil)
	host := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return strings.TrimSpace(string(out))
	}
	pyVersion := strings.TrimPrefix(host("/usr/bin/python3", "--version"), "Python ")
	gccVersion := host("/usr/bin/gcc", "-dumpfullversion")
	dist := host("/usr/bin/python3", "-c", "import importlib.metadata as md; print(md.version('numpy'), md.version('pandas'))")
	numpyVersion, pandasVersion, _ := strings.Cut(dist, " ")

	r, m := histDo(t, "GET", ts.URL+"/api/v1/code/environments", "", "")
	if r.StatusCode != 200 {
		t.Fatalf("environments: %d %v", r.StatusCode, m)
	}
	list, _ := m["environments"].([]any)
	envs := map[string]map[string]any{}
	var ids []string
	for _, e := range list {
		env := e.(map[string]any)
		id := env["id"].(string)
		ids = append(ids, id)
		envs[id] = env
		for _, k := range []string{"capabilities", "limitations"} {
			if _, ok := env[k].([]any); !ok {
				t.Errorf("%s: %s is not a list: %v", id, k, env[k])
			}
		}
	}
	if strings.Join(ids, ",") != "pyodide,server,docker,ros2,wasm" {
		t.Fatalf("environments %q, want pyodide, server, docker, ros2, wasm", ids)
	}

	server := envs["server"]
	valExpect(t, "server", server, `{"location":"server","available":true}`)
	// Every language was probed in the sandbox: its version read and its
	// hello-world run.
	versions := map[string]string{}
	for _, l := range server["languages"].([]any) {
		l := l.(map[string]any)
		name, _ := l["name"].(string)
		v, _ := l["version"].(string)
		if l["available"] != true || v == "" || l["display"] == "" {
			t.Errorf("language %s not probed or unavailable: %v", name, l)
		}
		versions[name] = v
	}
	if len(versions) != len(lang.Builtins()) || versions["c"] != "gcc "+gccVersion || versions["python"] != pyVersion || versions["java"] == "" {
		t.Errorf("server languages %v", versions)
	}
	valExpect(t, "server limits", server["limits"].(map[string]any), `{"memory_mb":128,"cpus":0.5,"timeout_seconds":30,"output_chars":10000}`)
	pkgs := map[string]bool{}
	for _, p := range server["packages"].([]any) {
		pkgs[p.(string)] = true
	}
	for _, p := range []string{"numpy==" + numpyVersion, "pandas==" + pandasVersion} {
		if !pkgs[p] {
			t.Errorf("server packages lack %q: %v", p, server["packages"])
		}
	}

	docker := envs["docker"]
	valExpect(t, "docker", docker, mustJSON(map[string]any{
		"alias_of": "server", "location": "server", "available": true,
		"languages": server["languages"], "packages": server["packages"], "limits": server["limits"],
	}))
	// Available exactly when this binary embeds the Pyodide runtime (make ui ran before the build).
	_, statErr := fs.Stat(web.Dist, "dist/pyodide/pyodide-lock.json")
	valExpect(t, "pyodide", envs["pyodide"], mustJSON(map[string]any{"location": "browser", "available": statErr == nil}))
	valExpect(t, "wasm", envs["wasm"], `{"available":true,"location":"browser"}`)
	// No ROS 2 image configured: listed, with what it needs.
	valExpect(t, "ros2", envs["ros2"], `{"available":false,"location":"server"}`)
	if l := mustJSON(envs["ros2"]["limitations"]); !strings.Contains(l, "Needs the ros2 image") {
		t.Errorf("ros2 limitations: %s", l)
	}
	for _, id := range []string{"pyodide", "server", "ros2", "wasm"} {
		if _, ok := envs[id]["alias_of"]; ok {
			t.Errorf("%s has alias_of: %v", id, envs[id])
		}
	}
}
