package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hiddenSecrets are strings of content/python-exercises.md's hidden tests
// that no page response may hold (their names appear only in verdicts).
var hiddenSecrets = []string{"fizzbuzz(99)", "test_big_numbers", "assertIsInstance", "FizzBuzzTests", "test_case_is_ignored", "Go go GO"}

const fizzbuzzGood = "def fizzbuzz(n):\n    if n % 15 == 0:\n        return 'FizzBuzz'\n    if n % 3 == 0:\n        return 'Fizz'\n    if n % 5 == 0:\n        return 'Buzz'\n    return str(n)\n"

func TestExercisesSQLite(t *testing.T) { checkExercises(t) }

func TestExercisesPostgres(t *testing.T) { checkExercises(t, "--postgres-dsn", histNewPostgres(t)) }

func rawGet(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// checkExercises submits right, wrong and broken solutions through the API
// and checks verdicts, solved, the author aggregates, and that the hidden
// tests reach no response a browser gets.
func checkExercises(t *testing.T, args ...string) {
	const secret = "exercise-test-secret-0123456789abcdef"
	cfg := writeConfig(t, `{"auth": {"hs256_secret": "`+secret+`", "allow_anonymous": true},
		"rate_limit": {"per_role": {"anonymous": 1000, "user": 1000, "author": 1000, "service": 0}}}`)
	ts := startServer(t, nil, append([]string{"--config", cfg}, args...)...)
	api := ts.URL + "/api/v1/code"
	alice, bob := histToken(t, secret, "alice", ""), histToken(t, secret, "bob", "")
	carol := histToken(t, secret, "carol", "author")

	for _, u := range []string{api + "/content", api + "/content/python-exercises", api + "/code-blocks/python-exercises"} {
		body := rawGet(t, u, alice)
		for _, s := range hiddenSecrets {
			if strings.Contains(body, s) {
				t.Errorf("GET %s holds hidden test text %q", u, s)
			}
		}
	}

	submit := func(tok, block, code string) map[string]any {
		t.Helper()
		r, m := histDo(t, "POST", api+"/submit", tok, mustJSON(map[string]any{"content_id": "python-exercises", "code_block_id": block, "code": code}))
		if r.StatusCode != 200 {
			t.Fatalf("submit: %d %v", r.StatusCode, m)
		}
		return m
	}
	wrong := submit(alice, "fizzbuzz", "def fizzbuzz(n):\n    return 'Fizz' if n % 3 == 0 else str(n)\nprint('hi')\n")
	histExpectFields(t, "wrong", wrong, map[string]any{"status": "failed", "passed": 3.0, "failed": 3.0, "total": 6.0, "solved": false, "output": "hi\n", "message": nil})
	msgs := map[string]string{}
	for _, x := range wrong["tests"].([]any) {
		r := x.(map[string]any)
		msgs[r["name"].(string)] = r["message"].(string)
	}
	for name, want := range map[string]string{"test_five": "5 is a multiple of 5", "FizzBuzzTests.test_fifteen": "'Fizz' != 'FizzBuzz'", "FizzBuzzTests.test_big_numbers": "'100' != 'Buzz'"} {
		if !strings.Contains(msgs[name], want) {
			t.Errorf("%s: message %q, want %q", name, msgs[name], want)
		}
	}
	good := submit(alice, "fizzbuzz", fizzbuzzGood)
	histExpectFields(t, "good", good, map[string]any{"status": "passed", "passed": 6.0, "failed": 0.0, "solved": true})
	broken := submit(bob, "fizzbuzz", "def fizzbuzz(n)\n    return n\n")
	histExpectFields(t, "broken", broken, map[string]any{"status": "error", "total": 0.0, "solved": false})
	if m, _ := broken["message"].(string); !strings.Contains(m, "SyntaxError") {
		t.Errorf("broken: message %q, want a SyntaxError", m)
	}
	again := submit(alice, "fizzbuzz", "def fizzbuzz(n):\n    return ''\n")
	histExpectFields(t, "after solving", again, map[string]any{"status": "failed", "solved": true})

	blocks := func(tok string) map[string]map[string]any {
		_, m := histDo(t, "GET", api+"/code-blocks/python-exercises", tok, "")
		out := map[string]map[string]any{}
		for _, b := range m["code_blocks"].([]any) {
			out[b.(map[string]any)["id"].(string)] = b.(map[string]any)
		}
		return out
	}
	a := blocks(alice)
	histExpectFields(t, "alice fizzbuzz", a["fizzbuzz"], map[string]any{"solved": true, "exercise": true, "hidden_tests": 1.0})
	histExpectFields(t, "alice word-count", a["word-count"], map[string]any{"solved": false})
	if ex := a["fizzbuzz"]["tests"].([]any); len(ex) != 1 || !strings.Contains(ex[0].(map[string]any)["code"].(string), "def test_three") {
		t.Errorf("visible examples = %v", ex)
	}
	histExpectFields(t, "bob fizzbuzz", blocks(bob)["fizzbuzz"], map[string]any{"solved": false})
	if _, has := blocks("")["fizzbuzz"]["solved"]; !has {
		t.Errorf("an anonymous learner gets no solved flag")
	}
	if _, m := histDo(t, "GET", api+"/code-blocks/python-basics", alice, ""); strings.Contains(mustJSON(m), `"solved"`) {
		t.Errorf("blocks without tests carry solved: %v", m)
	}

	r, st := histDo(t, "GET", api+"/exercises/stats/python-exercises", carol, "")
	if r.StatusCode != 200 {
		t.Fatalf("stats: %d %v", r.StatusCode, st)
	}
	ex := st["exercises"].([]any)
	if len(ex) != 2 {
		t.Fatalf("stats for %d exercises, want 2: %v", len(ex), st)
	}
	histExpectFields(t, "fizzbuzz stats", ex[0].(map[string]any), map[string]any{"code_block_id": "fizzbuzz",
		"attempts": 4.0, "users": 2.0, "solvers": 1.0, "solve_rate": 0.5, "median_attempts_to_solve": 2.0})
	mf := ex[0].(map[string]any)["most_failed_tests"].([]any)
	if len(mf) == 0 || mf[0].(map[string]any)["failures"].(float64) != 2 {
		t.Errorf("most failed = %v, want a test that failed twice first", mf)
	}
	histExpectFields(t, "word-count stats", ex[1].(map[string]any), map[string]any{"attempts": 0.0, "solve_rate": 0.0})
	if r, m := histDo(t, "GET", api+"/exercises/stats/python-exercises", alice, ""); r.StatusCode != 403 {
		t.Errorf("a learner read the stats: %d %v", r.StatusCode, m)
	}

	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"content_id": "python-exercises", "code_block_id": "nope", "code": "x = 1"}`, 404, "code_block_not_found"},
		{`{"content_id": "python-basics", "code_block_id": "hello", "code": "x = 1"}`, 400, "no_tests"},
		{`{"code": "x = 1"}`, 400, "invalid_reference"},
		{`{"content_id": "python-exercises", "code_block_id": "fizzbuzz", "code": ""}`, 400, "empty_code"},
		{`{"content_id": "python-exercises", "code_block_id": "fizzbuzz", "code": "import os\nos.system('id')"}`, 422, ""},
		{`not json`, 400, ""},
	} {
		r, m := call(t, "POST", api+"/submit", alice, c.body)
		if r.StatusCode != c.status || (c.code != "" && m["code"] != c.code) {
			t.Errorf("submit %s: %d %v, want %d %s", c.body, r.StatusCode, m, c.status, c.code)
		}
	}
}

// TestSubmitStream: the streamed submission sends start, the tests about
// to run, each verdict, the learner's output, and one complete last that
// holds the whole submission; a refusal is a JSON error before the stream.
func TestSubmitStream(t *testing.T) {
	ts := startServer(t, nil)
	post := func(body string) (*http.Response, []map[string]any) {
		t.Helper()
		resp, err := http.Post(ts.URL+"/api/v1/code/submit/stream", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var evs []map[string]any
		for _, line := range strings.Split(string(raw), "\n") {
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var m map[string]any
				if err := json.Unmarshal([]byte(data), &m); err != nil {
					t.Fatalf("bad event %q", line)
				}
				evs = append(evs, m)
			}
		}
		return resp, evs
	}
	resp, evs := post(mustJSON(map[string]any{"content_id": "python-exercises", "code_block_id": "fizzbuzz", "code": fizzbuzzGood + "print('out')\n"}))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var types []string
	for _, e := range evs {
		if ty := e["type"].(string); len(types) == 0 || types[len(types)-1] != ty {
			types = append(types, ty)
		}
	}
	if strings.Join(types, ",") != "start,output,tests,test,complete" {
		t.Errorf("event types %v, want start, output, tests, test..., complete", types)
	}
	tests := 0
	for _, e := range evs {
		if e["type"] == "test" {
			tests++
			if e["test"].(map[string]any)["passed"] != true {
				t.Errorf("test event %v", e)
			}
		}
	}
	last := evs[len(evs)-1]
	sub, _ := last["submission"].(map[string]any)
	if tests != 6 || last["status"] != "passed" || sub["status"] != "passed" || sub["output"] != "out\n" || sub["total"] != 6.0 {
		t.Errorf("%d test events; complete %v", tests, last)
	}
	resp, _ = post(`{"content_id": "python-exercises", "code_block_id": "nope", "code": "x = 1"}`)
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("unknown block: %d %q, want a 404 JSON error", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestOutputExerciseThroughAPI: a C block with expected-output cases is
// graded through POST /submit, and its hidden case stays off the page.
func TestOutputExerciseThroughAPI(t *testing.T) {
	dir := t.TempDir()
	lesson := "# Greet\n\n```c {runnable id=greet}\nint main(void) { return 0; }\n```\n\n" +
		"```text {tests for=greet stdin=\"Ada\\n\" name=\"greets Ada\"}\nHello, Ada!\n```\n\n" +
		"```text {tests for=greet stdin=\"Zed\\n\" hidden name=\"greets someone\"}\nHello, Zed!\n```\n"
	if err := os.WriteFile(filepath.Join(dir, "greet.md"), []byte(lesson), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, nil, "--content-dir", dir)
	api := ts.URL + "/api/v1/code"
	for _, u := range []string{api + "/content/greet", api + "/code-blocks/greet"} {
		if body := rawGet(t, u, ""); strings.Contains(body, "Zed") {
			t.Errorf("GET %s holds the hidden case: %s", u, body)
		}
	}
	good := "#include <stdio.h>\nint main(void) { char n[32]; if (scanf(\"%31s\", n) != 1) return 1; printf(\"Hello, %s!\\n\", n); return 0; }\n"
	r, m := histDo(t, "POST", api+"/submit", "", mustJSON(map[string]any{"content_id": "greet", "code_block_id": "greet", "code": good}))
	if r.StatusCode != 200 {
		t.Fatalf("submit: %d %v", r.StatusCode, m)
	}
	histExpectFields(t, "C submission", m, map[string]any{"status": "passed", "passed": 2.0, "total": 2.0, "solved": true})
	_, m = histDo(t, "POST", api+"/submit", "", mustJSON(map[string]any{"content_id": "greet", "code_block_id": "greet", "code": "int main(void) { return 0; }\n"}))
	histExpectFields(t, "empty C program", m, map[string]any{"status": "failed", "passed": 0.0, "solved": true})
	if strings.Contains(mustJSON(m), "Zed") {
		t.Errorf("a verdict shows the hidden expected output: %v", m)
	}
}
