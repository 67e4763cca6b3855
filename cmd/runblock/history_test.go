package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
)

// histDo is call (auth_test.go) for answers that must be a JSON object.
func histDo(t *testing.T, method, url, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	resp, m := call(t, method, url, token, body)
	if m == nil {
		t.Fatalf("%s %s: empty response (%d)", method, url, resp.StatusCode)
	}
	return resp, m
}

// histRun posts /execute and requires a 200.
func histRun(t *testing.T, base, token string, req map[string]any) map[string]any {
	t.Helper()
	resp, m := histDo(t, "POST", base+"/api/v1/code/execute", token, mustJSON(req))
	if resp.StatusCode != 200 {
		t.Fatalf("execute %v: %d %v", req, resp.StatusCode, m)
	}
	return m
}

// histList walks the caller's whole history with ?limit=, checking that the
// pages join up with no duplicates and are ordered newest first.
func histList(t *testing.T, base, token string, limit int) []map[string]any {
	t.Helper()
	var all []map[string]any
	seen := map[string]bool{}
	before := ""
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatal("pagination does not end")
		}
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if before != "" {
			q.Set("before", before)
		}
		resp, m := histDo(t, "GET", base+"/api/v1/code/executions?"+q.Encode(), token, "")
		if resp.StatusCode != 200 {
			t.Fatalf("list page %d: %d %v", page, resp.StatusCode, m)
		}
		items, _ := m["executions"].([]any)
		if len(items) > limit {
			t.Fatalf("page of %d items with limit %d", len(items), limit)
		}
		for _, it := range items {
			e := it.(map[string]any)
			id := e["id"].(string)
			if seen[id] {
				t.Fatalf("execution %s listed twice", id)
			}
			seen[id] = true
			all = append(all, e)
		}
		next, ok := m["next_cursor"]
		if !ok {
			t.Fatalf("list response lacks next_cursor: %v", m)
		}
		if next == nil {
			break
		}
		if len(items) != limit {
			t.Fatalf("page %d has %d items but a next cursor", page, len(items))
		}
		before = next.(string)
	}
	for i := 1; i < len(all); i++ {
		a, b := histTime(t, all[i-1]["created_at"]), histTime(t, all[i]["created_at"])
		if a.Before(b) || a.Equal(b) && all[i-1]["id"].(string) < all[i]["id"].(string) {
			t.Errorf("history not newest first at %d: %v then %v", i, all[i-1]["created_at"], all[i]["created_at"])
		}
	}
	return all
}

func histTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("time %v is not a string", v)
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return tm
}

// histNanos recovers the stored nanoseconds behind a duration in seconds.
func histNanos(v any) int64 { return int64(math.Round(v.(float64) * 1e9)) }

func histExpectFields(t *testing.T, what string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: field %q missing: %v", what, k, got)
			continue
		}
		if !reflect.DeepEqual(g, v) {
			t.Errorf("%s: %s = %#v, want %#v", what, k, g, v)
		}
	}
}

// histNewPostgres creates a throw-away database (dropped when the test ends)
// and returns its DSN. Postgres is part of the gate: unreachable fails.
func histNewPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("RUNBLOCK_TEST_POSTGRES_DSN")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL unreachable (set RUNBLOCK_TEST_POSTGRES_DSN or run scripts/ensure-postgres.sh): %v", err)
	}
	defer admin.Close(context.Background())
	buf := make([]byte, 6)
	rand.Read(buf)
	name := "runblock_cmdtest_" + hex.EncodeToString(buf)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func TestHistorySQLite(t *testing.T) {
	ts := startServer(t, nil)
	checkHistoryAPI(t, ts.URL)
}

func TestHistoryPostgres(t *testing.T) {
	ts := startServer(t, nil, "--postgres-dsn", histNewPostgres(t))
	checkHistoryAPI(t, ts.URL)
}

const histHelloBlock = "print(\"Hello, world!\")\nprint(\"Python\", \"adds\", \"spaces\", \"between\", \"arguments\")\n"

// checkHistoryAPI makes runs of every kind on a fresh server and checks
// that history, paging, single lookups and /stats describe exactly them.
func checkHistoryAPI(t *testing.T, base string) {
	start := time.Now().UTC().Truncate(time.Microsecond)
	api := base + "/api/v1/code"
	type made struct {
		req  map[string]any
		resp map[string]any // the /execute answer, or the stream's summary
	}
	var runs []made
	for _, req := range []map[string]any{
		{"code": "print('hello')"},
		{"code": "print('out')\nraise SystemExit('bad thing')"},
		{"code": "while True: pass", "timeout": 1},
		{"code": histHelloBlock, "content_id": "python-basics", "code_block_id": "hello"},
		{"code": "#include <stdio.h>\nint main(void){puts(\"hi from C\");return 0;}", "language": "c"},
	} {
		runs = append(runs, made{req, histRun(t, base, "", req)})
	}
	if got := runs[2].resp["error"]; got != "Execution timed out after 1s" {
		t.Fatalf("timeout run answered error %v", got)
	}

	// A streamed run: its output arrives as events, and history keeps it.
	streamReq := map[string]any{"code": "import time\nprint('one')\ntime.sleep(0.2)\nprint('two')"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, ch := openStream(t, ctx, base, mustJSON(streamReq))
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	complete, out, errOut := checkShape(t, collect(ch))
	if out != "one\ntwo\n" || errOut != "" || complete["status"] != "success" {
		t.Fatalf("stream: out %q err %q complete %v", out, errOut, complete)
	}
	runs = append(runs, made{streamReq, map[string]any{
		"id": complete["id"], "status": "success", "exit_code": complete["exit_code"], "output": out, "error": nil,
		"execution_time": complete["execution_time"], "cpu_time": complete["cpu_time"],
		"memory_peak_bytes": complete["memory_peak_bytes"], "truncated": false, "language": "python", "environment": "server",
	}})

	// A policy rejection never runs but is kept.
	rejected := map[string]any{"code": "import os\nos.system('ls')"}
	if r, m := histDo(t, "POST", api+"/execute", "", mustJSON(rejected)); r.StatusCode != 422 || m["status"] != "rejected" {
		t.Fatalf("rejected run: %d %v", r.StatusCode, m)
	}

	all := histList(t, base, "", 100)
	if len(all) != len(runs)+1 {
		t.Fatalf("history has %d runs, want %d: %v", len(all), len(runs)+1, all)
	}
	end := time.Now().UTC()
	for _, e := range all {
		created := histTime(t, e["created_at"])
		if created.Before(start) || created.After(end) {
			t.Errorf("created_at %v outside the test's run [%v, %v]", created, start, end)
		}
		if e["finished_at"] == nil {
			t.Errorf("finished run without finished_at: %v", e)
		} else if f := histTime(t, e["finished_at"]); f.Before(created) || f.After(end) {
			t.Errorf("finished_at %v not within [created_at %v, %v]", f, created, end)
		}
	}

	// Newest first: the rejection, then the runs in reverse order.
	r0 := all[0]
	histExpectFields(t, "rejected", r0, map[string]any{
		"status": "rejected", "exit_code": nil, "output": "", "error": teachingOSError, "code": rejected["code"],
		"language": "python", "environment": "server", "execution_time": 0.0, "truncated": false,
	})
	for i, run := range runs {
		e := all[len(runs)-i]
		want := map[string]any{"code": run.req["code"]}
		for _, k := range []string{"id", "status", "exit_code", "output", "error", "execution_time", "cpu_time", "memory_peak_bytes", "truncated", "language", "environment"} {
			want[k] = run.resp[k]
		}
		for _, k := range []string{"content_id", "code_block_id"} {
			if v, ok := run.req[k]; ok {
				want[k] = v
			} else if _, has := e[k]; has {
				t.Errorf("run %d: %s present without one: %v", i, k, e)
			}
		}
		histExpectFields(t, fmt.Sprintf("run %d (%v)", i, run.req["code"]), e, want)
	}
	// Spot-check the answers themselves, so equality above means something.
	histExpectFields(t, "success", all[6], map[string]any{"status": "success", "exit_code": 0.0, "output": "hello\n", "error": nil})
	histExpectFields(t, "error", all[5], map[string]any{"status": "error", "exit_code": 1.0, "output": "out\n", "error": "bad thing\n"})
	histExpectFields(t, "timeout", all[4], map[string]any{"status": "timeout", "exit_code": nil, "error": "Execution timed out after 1s"})
	histExpectFields(t, "lesson block", all[3], map[string]any{"status": "success", "output": "Hello, world!\nPython adds spaces between arguments\n"})
	histExpectFields(t, "c", all[2], map[string]any{"status": "success", "language": "c", "output": "hi from C\n"})
	histExpectFields(t, "stream", all[1], map[string]any{"status": "success", "output": "one\ntwo\n"})

	// Paging by two walks the same list.
	paged := histList(t, base, "", 2)
	if !reflect.DeepEqual(paged, all) {
		t.Errorf("paging by 2 gave a different list:\n%v\nwant\n%v", paged, all)
	}

	// One by id, identical to its list entry.
	for _, i := range []int{0, 3, 4} {
		id := all[i]["id"].(string)
		r, m := histDo(t, "GET", api+"/executions/"+id, "", "")
		if r.StatusCode != 200 || !reflect.DeepEqual(m, all[i]) {
			t.Errorf("GET /executions/%s = %d %v, want %v", id, r.StatusCode, m, all[i])
		}
	}
	if r, m := histDo(t, "GET", api+"/executions/019abcde-0000-7000-8000-000000000000", "", ""); r.StatusCode != 404 || m["code"] != "execution_not_found" {
		t.Errorf("unknown id: %d %v", r.StatusCode, m)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=abc", "limit=-1", "limit=2.5"} {
		if r, m := histDo(t, "GET", api+"/executions?"+q, "", ""); r.StatusCode != 400 || m["code"] != "invalid_limit" {
			t.Errorf("%s: %d %v", q, r.StatusCode, m)
		}
	}
	for _, c := range []string{"garbage!", "Zm9v", "MTIzOg", "eDp5"} {
		if r, m := histDo(t, "GET", api+"/executions?before="+c, "", ""); r.StatusCode != 400 || m["code"] != "invalid_cursor" {
			t.Errorf("cursor %q: %d %v", c, r.StatusCode, m)
		}
	}

	// /stats totals agree with the runs made: 4 of 7 succeeded.
	var wallSum int64
	for _, e := range all {
		wallSum += histNanos(e["execution_time"])
	}
	r, st := histDo(t, "GET", api+"/stats", "", "")
	if r.StatusCode != 200 {
		t.Fatalf("stats: %d %v", r.StatusCode, st)
	}
	histExpectFields(t, "stats", st, map[string]any{
		"total_executions": 7.0, "successes": 4.0, "success_rate": 4.0 / 7,
		"average_execution_time": time.Duration(wallSum / 7).Seconds(),
		"by_language":            map[string]any{"python": 6.0, "c": 1.0},
		"by_environment":         map[string]any{"server": 7.0},
		"last_run_at":            all[0]["created_at"], // every timestamp has the same format
	})
}

// TestBrowserRunReports: Pyodide runs reported by the page are recorded and
// counted, but never use up the caller's server quota.
func TestBrowserRunReports(t *testing.T) {
	cfg := writeConfig(t, `{"rate_limit": {"per_role": {"anonymous": 3, "user": 100, "author": 100, "service": 0}}}`)
	ts := startServer(t, nil, "--config", cfg)
	api := ts.URL + "/api/v1/code"
	remaining := func(want float64) {
		t.Helper()
		r, m := histDo(t, "GET", api+"/stats", "", "")
		if r.StatusCode != 200 || m["rate_limit"] != 3.0 || m["remaining"] != want {
			t.Fatalf("stats: %d rate_limit %v remaining %v, want 3 and %v", r.StatusCode, m["rate_limit"], m["remaining"], want)
		}
	}
	remaining(3)
	r, _ := histDo(t, "POST", api+"/execute", "", `{"code":"print(1)"}`)
	if r.StatusCode != 200 || r.Header.Get("RateLimit-Remaining") != "2" {
		t.Fatalf("server run: %d RateLimit-Remaining %q", r.StatusCode, r.Header.Get("RateLimit-Remaining"))
	}
	remaining(2)

	reports := []map[string]any{
		{"code": histHelloBlock, "environment": "pyodide", "status": "success", "output": "Hello, world!\n", "execution_time": 0.004,
			"content_id": "python-basics", "code_block_id": "hello"},
		{"code": "1/0", "language": "python", "environment": "pyodide", "status": "error", "output": "",
			"error": "ZeroDivisionError: division by zero", "exit_code": 1, "execution_time": 0.002},
		{"code": "print(2)", "language": "Python", "environment": "pyodide", "status": "success", "output": "2\n", "execution_time": 0},
		{"code": "while True: pass", "environment": "pyodide", "status": "timeout", "output": "", "execution_time": 0.001, "truncated": true},
	}
	var reported []map[string]any
	for i, rep := range reports {
		r, m := histDo(t, "POST", api+"/executions", "", mustJSON(rep))
		if r.StatusCode != 201 {
			t.Fatalf("report %d: %d %v", i, r.StatusCode, m)
		}
		want := map[string]any{"environment": "pyodide", "language": "python", "status": rep["status"], "code": rep["code"],
			"output": rep["output"], "execution_time": histNum(rep["execution_time"]), "error": rep["error"],
			"exit_code": histNumOrNil(rep["exit_code"]), "truncated": rep["truncated"] == true}
		for _, k := range []string{"content_id", "code_block_id"} {
			if v, ok := rep[k]; ok {
				want[k] = v
			}
		}
		histExpectFields(t, fmt.Sprintf("report %d", i), m, want)
		if m["id"] == "" || m["finished_at"] == nil {
			t.Errorf("report %d: no id or finished_at: %v", i, m)
		}
		reported = append(reported, m)
	}
	remaining(2) // four browser runs, more than the quota left, cost nothing

	for _, bad := range []struct{ body, code string }{
		{`{"code":"print(1)","environment":"server","status":"success","execution_time":0.1}`, "invalid_environment"},
		{`{"code":"print(1)","status":"success","execution_time":0.1}`, "invalid_environment"},
		{`{"code":"print(1)","environment":"pyodide","status":"bogus","execution_time":0.1}`, "invalid_status"},
		{`{"code":"print(1)","environment":"pyodide","status":"running","execution_time":0.1}`, "invalid_status"},
		{`{"code":"print(1)","environment":"pyodide","status":"rejected","execution_time":0.1}`, "invalid_status"},
		{`{"code":"print(1)","environment":"pyodide","status":"success","execution_time":-0.5}`, "invalid_execution_time"},
		{`{"code":"print(1)","environment":"pyodide","status":"success","execution_time":4000}`, "invalid_execution_time"},
		{`{"code":"int main(){}","language":"c","environment":"pyodide","status":"success"}`, "unknown_language"},
		{`{"code":"print(1)","environment":"pyodide","status":"success","execution_time":"fast"}`, "invalid_field"},
		{`{"code":`, "malformed_json"},
	} {
		if r, m := histDo(t, "POST", api+"/executions", "", bad.body); r.StatusCode != 400 || m["code"] != bad.code {
			t.Errorf("report %s: %d %v, want 400 %s", bad.body, r.StatusCode, m, bad.code)
		}
	}
	if r, m := histDo(t, "POST", api+"/executions", "", mustJSON(map[string]any{"code": strings.Repeat("#", 64<<10+1), "environment": "pyodide", "status": "success"})); r.StatusCode != 413 {
		t.Errorf("oversized report: %d %v", r.StatusCode, m)
	}

	all := histList(t, ts.URL, "", 100)
	if len(all) != 5 {
		t.Fatalf("history has %d runs, want 5: %v", len(all), all)
	}
	for _, rep := range reported {
		i := slices.IndexFunc(all, func(e map[string]any) bool { return e["id"] == rep["id"] })
		if i < 0 || !reflect.DeepEqual(all[i], rep) {
			t.Errorf("report %v not in history as answered (history %v)", rep, all)
		}
	}
	r, st := histDo(t, "GET", api+"/stats", "", "")
	if r.StatusCode != 200 {
		t.Fatal(st)
	}
	histExpectFields(t, "stats", st, map[string]any{
		"total_executions": 5.0, "successes": 3.0, "success_rate": 3.0 / 5,
		"by_language": map[string]any{"python": 5.0}, "by_environment": map[string]any{"server": 1.0, "pyodide": 4.0},
	})

	// The quota is still exactly what the one server run left.
	for i := 0; i < 2; i++ {
		histRun(t, ts.URL, "", map[string]any{"code": "print(1)"})
	}
	if r, m := histDo(t, "POST", api+"/execute", "", `{"code":"print(1)"}`); r.StatusCode != 429 {
		t.Fatalf("fourth server run: %d %v, want 429", r.StatusCode, m)
	}
	if r, m := histDo(t, "POST", api+"/executions", "", mustJSON(reports[2])); r.StatusCode != 201 {
		t.Fatalf("report while rate limited: %d %v", r.StatusCode, m)
	}
}

func histNum(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case float64:
		return n
	}
	panic(fmt.Sprintf("not a number: %#v", v))
}

func histNumOrNil(v any) any {
	if v == nil {
		return nil
	}
	return histNum(v)
}

var histLessons = []any{
	map[string]any{"id": "python-basics", "title": "Python basics", "blocks": 6.0,
		"description": "Print text, store values in variables, repeat work with loops, write a function and read input."},
	map[string]any{"id": "numpy-intro", "title": "Introduction to NumPy", "blocks": 2.0,
		"description": "Arrays, element-wise arithmetic and summary statistics with NumPy."},
	map[string]any{"id": "c-basics", "title": "C basics", "blocks": 1.0, "description": "Compile and run a first C program."},
	map[string]any{"id": "plotting", "title": "Plotting with Matplotlib", "blocks": 3.0,
		"description": "Line plots, bar charts and several figures in one program, shown inline."},
	map[string]any{"id": "python-exercises", "title": "Python exercises", "blocks": 2.0,
		"description": "Write functions that pass tests, some of them hidden, and get each exercise marked solved."},
	map[string]any{"id": "webassembly", "title": "C and Rust in your browser", "blocks": 3.0,
		"description": "Programs compiled to WebAssembly on the server and run on your own computer."},
	// the languages' lessons (issue 14)
	map[string]any{"id": "cpp-basics", "title": "C++ basics", "blocks": 2.0, "description": "Streams, strings and vectors in a first C++ program."},
	map[string]any{"id": "javascript-basics", "title": "JavaScript basics", "blocks": 2.0, "description": "Run JavaScript on the server with Node.js."},
	map[string]any{"id": "typescript-basics", "title": "TypeScript basics", "blocks": 2.0, "description": "Types checked by the compiler before the program runs."},
	map[string]any{"id": "go-basics", "title": "Go basics", "blocks": 2.0, "description": "Compile and run a first Go program."},
	map[string]any{"id": "rust-basics", "title": "Rust basics", "blocks": 2.0, "description": "Compile and run a first Rust program."},
	map[string]any{"id": "java-basics", "title": "Java basics", "blocks": 2.0, "description": "Compile and run a first Java program."},
	map[string]any{"id": "bash-basics", "title": "Shell basics", "blocks": 2.0, "description": "Variables, loops and pipes in Bash."},
	map[string]any{"id": "sql-basics", "title": "SQL basics", "blocks": 2.0, "description": "Tables and queries with SQLite."},
	map[string]any{"id": "ros2-pubsub", "title": "ROS 2: publisher and subscriber", "blocks": 1.0,
		"description": "Two ROS 2 nodes talking over a topic, in one Python program (rclpy)."},
}

func TestContentAPI(t *testing.T) {
	ts := startServer(t, nil)
	api := ts.URL + "/api/v1/code"
	r, m := histDo(t, "GET", api+"/content", "", "")
	if r.StatusCode != 200 || !reflect.DeepEqual(m["lessons"], histLessons) {
		t.Fatalf("content: %d %v", r.StatusCode, m)
	}

	blocks := func() map[string]map[string]any {
		t.Helper()
		r, m := histDo(t, "GET", api+"/code-blocks/python-basics", "", "")
		if r.StatusCode != 200 || m["content_id"] != "python-basics" || m["title"] != "Python basics" {
			t.Fatalf("code-blocks: %d %v", r.StatusCode, m)
		}
		out := map[string]map[string]any{}
		for i, b := range m["code_blocks"].([]any) {
			b := b.(map[string]any)
			if b["position"] != float64(i) {
				t.Errorf("block %v at index %d", b, i)
			}
			if _, ok := b["aggregate"]; ok {
				t.Errorf("anonymous caller got aggregates: %v", b)
			}
			out[b["id"].(string)] = b
		}
		return out
	}
	bs := blocks()
	want := []struct{ id, title string }{{"hello", "Hello, world"}, {"loops", "Variables and loops"}, {"functions", "A function"}, {"input", "Reading input"},
		{"ask", "Your turn: a guessing game"}, {"countdown", "A countdown"}}
	if len(bs) != len(want) {
		t.Fatalf("python-basics has %d blocks: %v", len(bs), bs)
	}
	zero := map[string]any{"runs": 0.0, "successes": 0.0, "last_run_at": nil, "median_execution_time": 0.0}
	for i, w := range want {
		histExpectFields(t, w.id, bs[w.id], map[string]any{"id": w.id, "title": w.title, "language": "python",
			"environment": "auto", "position": float64(i), "my_stats": zero})
	}
	histExpectFields(t, "hello", bs["hello"], map[string]any{"code": histHelloBlock})
	histExpectFields(t, "input", bs["input"], map[string]any{"stdin": "Ada\n1815\n"})
	if !strings.HasPrefix(bs["input"]["code"].(string), "name = input(\"What is your name? \")\n") {
		t.Errorf("input block code: %q", bs["input"]["code"])
	}

	// c-basics: one block on the server.
	r, m = histDo(t, "GET", api+"/code-blocks/c-basics", "", "")
	cb, _ := m["code_blocks"].([]any)
	if r.StatusCode != 200 || len(cb) != 1 {
		t.Fatalf("c-basics: %d %v", r.StatusCode, m)
	}
	histExpectFields(t, "hello-c", cb[0].(map[string]any), map[string]any{"id": "hello-c", "language": "c", "environment": "server", "title": "Hello from C", "position": 0.0})

	for _, id := range []string{"nope", "..%2Fetc", "python-basics.md"} {
		if r, m := histDo(t, "GET", api+"/code-blocks/"+id, "", ""); r.StatusCode != 404 || m["code"] != "content_not_found" {
			t.Errorf("lesson %q: %d %v", id, r.StatusCode, m)
		}
	}

	// The page's view of a lesson: rendered prose with one placeholder per
	// block, in order, and the same blocks.
	r, m = histDo(t, "GET", api+"/content/python-basics", "", "")
	if r.StatusCode != 200 || m["id"] != "python-basics" || m["title"] != "Python basics" {
		t.Fatalf("content/python-basics: %d %v", r.StatusCode, m)
	}
	html, _ := m["html"].(string)
	at := 0
	for i, b := range m["code_blocks"].([]any) {
		b := b.(map[string]any)
		ph := `<div class="runblock-block" data-block-id="` + b["id"].(string) + `"></div>`
		j := strings.Index(html, ph)
		if j < at || b["id"] != want[i].id {
			t.Errorf("block %d %v: placeholder at %d (after %d)", i, b["id"], j, at)
		}
		at = j
		histExpectFields(t, "content "+want[i].id, b, map[string]any{"my_stats": zero})
	}
	if strings.Count(html, "runblock-block") != len(want) || !strings.Contains(html, `<h2 id="reading-input">Reading input</h2>`) {
		t.Errorf("content html: %s", html)
	}
	if r, m := histDo(t, "GET", api+"/content/nope", "", ""); r.StatusCode != 404 || m["code"] != "content_not_found" {
		t.Errorf("content/nope: %d %v", r.StatusCode, m)
	}

	// Running blocks updates the caller's progress on them.
	run := func(block, code string) map[string]any {
		return histRun(t, ts.URL, "", map[string]any{"code": code, "content_id": "python-basics", "code_block_id": block})
	}
	h1 := run("hello", histHelloBlock)
	l1 := run("loops", "raise ValueError('x')")
	bs = blocks()
	histExpectFields(t, "hello after a run", bs["hello"]["my_stats"].(map[string]any), map[string]any{"runs": 1.0, "successes": 1.0, "median_execution_time": h1["execution_time"]})
	histExpectFields(t, "loops after a failed run", bs["loops"]["my_stats"].(map[string]any), map[string]any{"runs": 1.0, "successes": 0.0, "median_execution_time": l1["execution_time"]})
	histExpectFields(t, "functions untouched", bs["functions"], map[string]any{"my_stats": zero})
	h2 := run("hello", histHelloBlock)
	bs = blocks()
	mine := bs["hello"]["my_stats"].(map[string]any)
	median := time.Duration((histNanos(h1["execution_time"]) + histNanos(h2["execution_time"])) / 2).Seconds()
	histExpectFields(t, "hello after two runs", mine, map[string]any{"runs": 2.0, "successes": 2.0, "median_execution_time": median})
	// last_run_at is the start of the newest run, formatted like created_at.
	hist := histList(t, ts.URL, "", 100)
	if len(hist) != 3 || hist[0]["id"] != h2["id"] {
		t.Fatalf("history: %v", hist)
	}
	if want := hist[0]["created_at"]; mine["last_run_at"] != want {
		t.Errorf("last_run_at %v, want %v", mine["last_run_at"], want)
	}
}

// histToken signs an HS256 token the way the platform would.
func histToken(t *testing.T, secret, sub, role string) string {
	t.Helper()
	claims := jwt.MapClaims{"sub": sub, "exp": time.Now().Add(time.Hour).Unix()}
	if role != "" {
		claims["role"] = role
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBlockAggregatesForAuthors: authors and services see every learner's
// counts per block; users and anonymous callers only their own; history is
// private to its owner.
func TestBlockAggregatesForAuthors(t *testing.T) {
	const secret = "history-test-secret-0123456789abcdef"
	cfg := writeConfig(t, `{"auth": {"hs256_secret": "`+secret+`", "allow_anonymous": true},
		"rate_limit": {"per_role": {"anonymous": 1000, "user": 1000, "author": 1000, "service": 0}}}`)
	ts := startServer(t, nil, "--config", cfg)
	api := ts.URL + "/api/v1/code"
	alice, bob := histToken(t, secret, "alice", ""), histToken(t, secret, "bob", "user")
	carol, svc := histToken(t, secret, "carol", "author"), histToken(t, secret, "backend", "service")

	block := func(tok, id, code string) map[string]any {
		return histRun(t, ts.URL, tok, map[string]any{"code": code, "content_id": "python-basics", "code_block_id": id})
	}
	a1 := block(alice, "hello", histHelloBlock)
	a2 := block(alice, "hello", histHelloBlock)
	b1 := block(bob, "hello", "1/0")
	block(bob, "loops", "print(1)")

	get := func(tok string) (map[string]map[string]any, bool) {
		t.Helper()
		r, m := histDo(t, "GET", api+"/code-blocks/python-basics", tok, "")
		if r.StatusCode != 200 {
			t.Fatalf("code-blocks: %d %v", r.StatusCode, m)
		}
		out, anyAgg := map[string]map[string]any{}, false
		for _, b := range m["code_blocks"].([]any) {
			b := b.(map[string]any)
			_, has := b["aggregate"]
			anyAgg = anyAgg || has
			out[b["id"].(string)] = b
		}
		return out, anyAgg
	}
	for _, who := range []struct{ name, tok string }{{"author", carol}, {"service", svc}} {
		bs, _ := get(who.tok)
		for id, want := range map[string]map[string]any{
			"hello":     {"runs": 3.0, "successes": 2.0, "users": 2.0},
			"loops":     {"runs": 1.0, "successes": 1.0, "users": 1.0},
			"functions": {"runs": 0.0, "successes": 0.0, "last_run_at": nil, "median_execution_time": 0.0},
			"input":     {"runs": 0.0, "successes": 0.0},
		} {
			agg, ok := bs[id]["aggregate"].(map[string]any)
			if !ok {
				t.Errorf("%s: block %s has no aggregate: %v", who.name, id, bs[id])
				continue
			}
			histExpectFields(t, who.name+" "+id, agg, want)
		}
		histExpectFields(t, who.name+" own", bs["hello"]["my_stats"].(map[string]any), map[string]any{"runs": 0.0})
		// The median of 3 runs is the middle one.
		ns := []int64{histNanos(a1["execution_time"]), histNanos(a2["execution_time"]), histNanos(b1["execution_time"])}
		slices.Sort(ns)
		histExpectFields(t, who.name+" median", bs["hello"]["aggregate"].(map[string]any), map[string]any{"median_execution_time": time.Duration(ns[1]).Seconds()})
	}
	for _, who := range []struct{ name, tok string }{{"user", alice}, {"anonymous", ""}} {
		if _, anyAgg := get(who.tok); anyAgg {
			t.Errorf("%s sees aggregates", who.name)
		}
	}
	bs, _ := get(alice)
	histExpectFields(t, "alice own", bs["hello"]["my_stats"].(map[string]any), map[string]any{"runs": 2.0, "successes": 2.0})
	bs, _ = get(bob)
	histExpectFields(t, "bob own", bs["hello"]["my_stats"].(map[string]any), map[string]any{"runs": 1.0, "successes": 0.0})

	// History is per user: bob can't read alice's run, and lists only his.
	if r, m := histDo(t, "GET", api+"/executions/"+a1["id"].(string), bob, ""); r.StatusCode != 404 {
		t.Errorf("bob read alice's run: %d %v", r.StatusCode, m)
	}
	if r, m := histDo(t, "GET", api+"/executions/"+a1["id"].(string), alice, ""); r.StatusCode != 200 || m["id"] != a1["id"] {
		t.Errorf("alice reading her run: %d %v", r.StatusCode, m)
	}
	for tok, n := range map[string]int{alice: 2, bob: 2, carol: 0, "": 0} {
		if got := histList(t, ts.URL, tok, 100); len(got) != n {
			t.Errorf("history of %q has %d runs, want %d", tok[:min(len(tok), 12)], len(got), n)
		}
	}
	if r, _ := histDo(t, "GET", api+"/executions", histToken(t, "another-secret-0123456789abcdefgh", "mallory", "author"), ""); r.StatusCode != 401 {
		t.Errorf("forged token: %d", r.StatusCode)
	}
}

// TestContentReload edits the content directory under a running server:
// additions, edits and removals appear within the 2 s poll; SIGHUP reloads at
// once; a lesson with broken front matter or a duplicate block id still
// loads its other blocks and the problems are logged with file and line.
func TestContentReload(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../content/c-basics.md")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		t.Helper()
		// Write then rename, as editors do; the poll must see it either way.
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	write("c-basics.md", string(src))
	broken := "---\ntitle: Broken\nthis line is not key value\norder: 5\n---\n\n" +
		"```python {runnable id=a}\nprint('a')\n```\n\n" + // line 7
		"```python {runnable id=a}\nprint('dup')\n```\n\n" + // line 11
		"```python {runnable id=b}\nprint('b')\n```\n"
	write("broken.md", broken)

	ps := startServerProcess(t, t.TempDir(), nil, "--content-dir", dir, "--log-level", "info")
	api := ps.URL + "/api/v1/code"
	lessons := func() map[string]map[string]any {
		t.Helper()
		r, m := histDo(t, "GET", api+"/content", "", "")
		if r.StatusCode != 200 {
			t.Fatalf("content: %d %v", r.StatusCode, m)
		}
		out := map[string]map[string]any{}
		for _, l := range m["lessons"].([]any) {
			l := l.(map[string]any)
			out[l["id"].(string)] = l
		}
		return out
	}
	waitFor := func(what string, ok func(map[string]map[string]any) bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			ls := lessons()
			if ok(ls) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never showed up: %v", what, ls)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	ls := lessons()
	if len(ls) != 2 || ls["c-basics"]["blocks"] != 1.0 || ls["broken"]["blocks"] != 2.0 || ls["broken"]["title"] != "Broken" {
		t.Fatalf("initial lessons: %v", ls)
	}
	r, m := histDo(t, "GET", api+"/code-blocks/broken", "", "")
	if r.StatusCode != 200 || len(m["code_blocks"].([]any)) != 2 {
		t.Fatalf("broken blocks: %d %v", r.StatusCode, m)
	}
	for i, b := range m["code_blocks"].([]any) {
		b := b.(map[string]any)
		if want := []string{"a", "b"}[i]; b["id"] != want || b["code"] != "print('"+want+"')\n" {
			t.Errorf("broken block %d: %v", i, b)
		}
	}
	path := filepath.Join(dir, "broken.md")
	for _, want := range []string{
		fmt.Sprintf(`file=%s line=3 problem="front matter: expected`, path),
		fmt.Sprintf(`file=%s line=11 problem="duplicate block id \"a\" (first used on line 7); block skipped"`, path),
	} {
		if !strings.Contains(ps.Stderr(), want) {
			t.Errorf("log lacks %q:\n%s", want, ps.Stderr())
		}
	}

	write("extra.md", "---\ntitle: Extra\norder: 9\n---\n\n```python {runnable id=x title=\"X\"}\nprint('x')\n```\n")
	waitFor("a new lesson", func(ls map[string]map[string]any) bool {
		return ls["extra"] != nil && ls["extra"]["title"] == "Extra" && ls["extra"]["blocks"] == 1.0
	})
	edited := strings.Replace(string(src), "title: C basics", "title: C, revised", 1) +
		"\n```c {runnable id=second}\nint main(void){return 0;}\n```\n"
	write("c-basics.md", edited)
	waitFor("an edit", func(ls map[string]map[string]any) bool {
		return ls["c-basics"]["title"] == "C, revised" && ls["c-basics"]["blocks"] == 2.0
	})
	r, m = histDo(t, "GET", api+"/code-blocks/c-basics", "", "")
	if cb := m["code_blocks"].([]any); r.StatusCode != 200 || len(cb) != 2 || cb[1].(map[string]any)["id"] != "second" {
		t.Fatalf("edited lesson's blocks: %d %v", r.StatusCode, m)
	}
	if err := os.Remove(filepath.Join(dir, "extra.md")); err != nil {
		t.Fatal(err)
	}
	waitFor("a removal", func(ls map[string]map[string]any) bool { return ls["extra"] == nil && len(ls) == 2 })
	if r, _ := histDo(t, "GET", api+"/code-blocks/extra", "", ""); r.StatusCode != 404 {
		t.Errorf("removed lesson still served: %d", r.StatusCode)
	}

	// SIGHUP reloads even though nothing changed (the poll would not), and
	// the server keeps serving.
	loads := strings.Count(ps.Stderr(), `msg="content loaded"`)
	if err := ps.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(ps.Stderr(), `msg="content loaded"`) == loads {
		if time.Now().After(deadline) || ps.Exited() {
			t.Fatalf("no reload after SIGHUP (exited: %v):\n%s", ps.Exited(), ps.Stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(ps.Stderr(), "SIGHUP: reloading content") {
		t.Errorf("reload not logged as SIGHUP's:\n%s", ps.Stderr())
	}
	if r, _ := histDo(t, "GET", ps.URL+"/healthz", "", ""); r.StatusCode != 200 {
		t.Errorf("healthz after SIGHUP: %d", r.StatusCode)
	}
}

// TestRetentionPrunesOldRuns: a server configured with a retention drops
// older runs at start-up and keeps newer ones.
func TestRetentionPrunesOldRuns(t *testing.T) {
	data := t.TempDir()
	ts := startServer(t, nil, "--data-dir", data)
	old := histRun(t, ts.URL, "", map[string]any{"code": "print('old')"})
	ts.stop(t)
	time.Sleep(1100 * time.Millisecond) // let the run age past the retention below

	cfg := writeConfig(t, `{"store": {"retention": "1s"}, "rate_limit": {"per_role": {"anonymous": 1000}}}`)
	ts = startServer(t, nil, "--data-dir", data, "--config", cfg)
	kept := histRun(t, ts.URL, "", map[string]any{"code": "print('new')"})
	deadline := time.Now().Add(20 * time.Second)
	for {
		all := histList(t, ts.URL, "", 100)
		if len(all) == 1 && all[0]["id"] == kept["id"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history still %v; want only %v (old run %v pruned)", all, kept["id"], old["id"])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r, _ := histDo(t, "GET", ts.URL+"/api/v1/code/executions/"+old["id"].(string), "", ""); r.StatusCode != 404 {
		t.Errorf("pruned run still readable: %d", r.StatusCode)
	}
}

// Browser reports don't use the run quota, but they are rows in history, so
// they have a quota of their own (six times the run quota).
func TestReportsHaveTheirOwnQuota(t *testing.T) {
	cfg := writeConfig(t, `{"rate_limit": {"per_role": {"anonymous": 1}}}`)
	ts := startServer(t, nil, "--config", cfg)
	api := ts.URL + "/api/v1/code"
	report := `{"code":"print(1)","environment":"pyodide","status":"success","execution_time":0.01}`
	for i := 0; i < 6; i++ {
		if r, m := histDo(t, "POST", api+"/executions", "", report); r.StatusCode != 201 || r.Header.Get("RateLimit-Limit") != "6" {
			t.Fatalf("report %d: %d %v %v", i, r.StatusCode, r.Header, m)
		}
	}
	r, m := histDo(t, "POST", api+"/executions", "", report)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" || m["code"] != "rate_limited" {
		t.Fatalf("seventh report: %d %v %v", r.StatusCode, r.Header, m)
	}
	if r, m := histDo(t, "POST", api+"/execute", "", `{"code":"print(1)"}`); r.StatusCode != 200 {
		t.Fatalf("the run quota was used by reports: %d %v", r.StatusCode, m)
	}
}
