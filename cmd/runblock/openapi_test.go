package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/runblock/runblock/internal/openapi/openapitest"
)

// Tests of the API contract against the real server: every answer below,
// success or error, must have a status its operation declares and a body
// and headers that match the document (strict: no undeclared field).

// contract is a live server plus the document and what was covered.
type contract struct {
	t    *testing.T
	base string
	doc  *openapitest.Doc
	// mu guards covered and checked: streams are checked on their own
	// goroutines while the table goes on.
	mu      sync.Mutex
	covered map[string]bool // "METHOD /template STATUS"
	checked int             // exchanges validated
	// client has no cookie jar (the package's tests give http.DefaultClient
	// one): each anonymous request stands alone unless it sends a cookie.
	client *http.Client
}

// exchange is one request and its answer.
type exchange struct {
	resp *http.Response
	body []byte
	json map[string]any
}

// call sends a request, checks the status and validates the exchange
// against the document. header is name, value pairs.
func (c *contract) call(name, method, path, token, body string, want int, header ...string) exchange {
	c.t.Helper()
	req := c.request(method, path, token, body, header...)
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
	ex := exchange{resp: resp, body: raw}
	_ = json.Unmarshal(raw, &ex.json)
	if resp.StatusCode != want {
		c.t.Errorf("%s: %s %s = %d, want %d: %s", name, method, path, resp.StatusCode, want, raw)
		return ex
	}
	checkReq := c.request(method, path, token, body, header...)
	if want == http.StatusMethodNotAllowed {
		// A 405 is declared on the path's own operation: check it there.
		allowed, _, _ := strings.Cut(resp.Header.Get("Allow"), ",")
		checkReq = c.request(allowed, path, token, "", header...)
	}
	c.check(name, checkReq, resp, raw)
	return ex
}

func (c *contract) request(method, path, token, body string, header ...string) *http.Request {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// check validates an answer already read and records its coverage; a 2xx
// answer's request is validated too (the document must accept what a
// working client sends).
func (c *contract) check(name string, req *http.Request, resp *http.Response, body []byte) {
	c.t.Helper()
	for _, e := range c.doc.CheckResponse(req, resp, body) {
		c.t.Errorf("%s: %s %s %d does not match the document: %s\nbody: %.600s", name, req.Method, req.URL.Path, resp.StatusCode, e, body)
	}
	if resp.StatusCode < 300 {
		for _, e := range c.doc.CheckRequest(c.request(req.Method, strings.TrimPrefix(req.URL.String(), c.base), "", c.bodyOf(req))) {
			c.t.Errorf("%s: the document rejects the request %s %s: %s", name, req.Method, req.URL.Path, e)
		}
	}
	key := req.Method + " " + c.template(req.URL.Path) + " " + fmt.Sprint(resp.StatusCode)
	c.mu.Lock()
	c.covered[key] = true
	c.checked++
	c.mu.Unlock()
}

func (c *contract) bodyOf(req *http.Request) string {
	if req.GetBody == nil {
		return ""
	}
	rc, err := req.GetBody()
	if err != nil {
		return ""
	}
	b, _ := io.ReadAll(rc)
	return string(b)
}

// template maps a concrete path to the document's path template.
func (c *contract) template(path string) string {
	for tmpl := range c.doc.Model.Paths.PathItems.KeysFromOldest() {
		re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$"
		if regexp.MustCompile(re).MatchString(path) {
			return tmpl
		}
	}
	return path
}

// stream opens POST /execute/stream and returns the answer with a channel
// of its events, each already checked against ExecutionEvent; done is
// closed after the whole exchange has been validated.
func (c *contract) stream(name, token, body string) (*http.Response, <-chan map[string]any, <-chan struct{}) {
	c.t.Helper()
	return c.streamAt(name, "/api/v1/code/execute/stream", "ExecutionEvent", token, body)
}

// streamAt is stream for any event stream whose events are the schema event.
func (c *contract) streamAt(name, path, event, token, body string) (*http.Response, <-chan map[string]any, <-chan struct{}) {
	c.t.Helper()
	req := c.request("POST", path, token, body)
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.t.Fatalf("%s: stream answered %d %s", name, resp.StatusCode, raw)
	}
	evs := make(chan map[string]any, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(evs)
		defer resp.Body.Close()
		var all bytes.Buffer
		sc := bufio.NewScanner(io.TeeReader(resp.Body, &all))
		sc.Buffer(make([]byte, 1<<20), 4<<20)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			for _, e := range c.doc.CheckSchema(event, []byte(line)) {
				c.t.Errorf("%s: event does not match %s: %s\nevent: %.600s", name, event, e, line)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				c.t.Errorf("%s: event is not JSON: %q", name, line)
				continue
			}
			evs <- m
		}
		c.check(name, c.request("POST", path, token, body), resp, all.Bytes())
	}()
	return resp, evs, done
}

func drain(evs <-chan map[string]any) []map[string]any {
	var out []map[string]any
	for ev := range evs {
		out = append(out, ev)
	}
	return out
}

func typesOf(evs []map[string]any) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, fmt.Sprint(ev["type"]))
	}
	return out
}

// TestAPIAnswersMatchOpenAPI runs a table of real requests against the real
// server (bubblewrap sandbox, SQLite history, HS256 tokens, anonymous
// sessions, one sandbox slot and no queue so that 503 is reachable).
func TestAPIAnswersMatchOpenAPI(t *testing.T) {
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, hsConfig(`"rate_limit": {"per_role": {"anonymous": 100000, "user": 3, "author": 100000, "service": 0}}`))
	ts, _ := startServerArgs(t, map[string]string{"RUNBLOCK_MAX_CONCURRENT": "1", "RUNBLOCK_MAX_QUEUE": "0"},
		"--config", cfg, "--allow-anonymous", "--log-level", "error")
	c := &contract{t: t, base: ts.URL, doc: doc, covered: map[string]bool{}, client: &http.Client{}}

	authorClaims := claimsFor(uniqueUser("author"))
	authorClaims["role"] = "author"
	author := sign(t, jwt.SigningMethodHS256, []byte(testSecret), authorClaims)
	user := userToken(t, uniqueUser("user"))
	stranger := userToken(t, uniqueUser("stranger"))
	bad := userToken(t, "x") + "tampered"

	// Operations.
	c.call("openapi", "GET", "/api/v1/openapi.json", "", "", 200)
	c.call("openapi wrong method", "POST", "/api/v1/openapi.json", "", `{}`, 405)
	c.call("healthz", "GET", "/healthz", "", "", 200)
	c.call("readyz", "GET", "/readyz", "", "", 200)
	c.call("metrics", "GET", "/metrics", "", "", 200)
	c.call("healthz wrong method", "POST", "/healthz", "", "", 405)

	// Runs: successes (anonymous with a session cookie, and a token), figures.
	run := c.call("execute", "POST", "/api/v1/code/execute", author, `{"code":"print('hi')","content_id":"python-basics","code_block_id":"hello"}`, 200)
	runID, _ := run.json["id"].(string)
	anon := c.call("execute anonymous", "POST", "/api/v1/code/execute", "", `{"code":"print(input())","stdin":"Ada\n","timeout":10}`, 200)
	cookie, _, _ := strings.Cut(anon.resp.Header.Get("Set-Cookie"), ";")
	if !strings.HasPrefix(cookie, "runblock_anon=") {
		t.Fatalf("anonymous caller got no session cookie: %v", anon.resp.Header)
	}
	c.call("execute in the anonymous session", "POST", "/api/v1/code/execute", "", `{"code":"print(2)"}`, 200, "Cookie", cookie)
	c.call("execute C", "POST", "/api/v1/code/execute", author, `{"code":"int main(void){return 3;}","language":"c"}`, 200)
	fig := c.call("execute with a figure", "POST", "/api/v1/code/execute", author,
		`{"code":"import matplotlib.pyplot as plt\nplt.plot([1,2,3])\nplt.title('line')\nplt.show()\nprint('done')"}`, 200)
	if imgs, _ := fig.json["images"].([]any); len(imgs) != 1 {
		t.Errorf("figure run: images %v", fig.json["images"])
	}
	c.call("execute failing program", "POST", "/api/v1/code/execute", author, `{"code":"raise SystemExit(2)"}`, 200)

	// Runs: refusals.
	c.call("malformed JSON", "POST", "/api/v1/code/execute", author, `{"code":`, 400)
	c.call("bad timeout", "POST", "/api/v1/code/execute", author, `{"code":"print(1)","timeout":99}`, 400)
	c.call("unknown language", "POST", "/api/v1/code/execute", author, `{"code":"print(1)","language":"cobol"}`, 400)
	c.call("bad content type", "POST", "/api/v1/code/execute", author, `{"code":"print(1)"}`, 400, "Content-Type", "text/plain")
	c.call("bad token", "POST", "/api/v1/code/execute", bad, `{"code":"print(1)"}`, 401)
	c.call("wrong method", "GET", "/api/v1/code/execute", author, "", 405)
	c.call("code too large", "POST", "/api/v1/code/execute", author, mustJSON(map[string]string{"code": strings.Repeat("#", 70<<10)}), 413)
	c.call("body too large", "POST", "/api/v1/code/execute", author, mustJSON(map[string]string{"code": "print(1)", "x": strings.Repeat("x", 600<<10)}), 413)
	c.call("policy violation", "POST", "/api/v1/code/execute", author, `{"code":"import os\nos.system('id')"}`, 422)
	for i := range 3 {
		c.call(fmt.Sprintf("user run %d", i+1), "POST", "/api/v1/code/execute", user, `{"code":"print(1)"}`, 200)
	}
	limited := c.call("quota used up", "POST", "/api/v1/code/execute", user, `{"code":"print(1)"}`, 429)
	if limited.resp.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After: %v", limited.resp.Header)
	}

	// The stream: output, stderr, a figure, then complete; and its refusals.
	_, evs, done := c.stream("stream", author, `{"code":"print('a')\nimport matplotlib.pyplot as plt\nplt.plot([1,2])\nplt.show()\nraise ValueError('b')"}`)
	got := typesOf(drain(evs))
	<-done
	for _, want := range []string{"start", "output", "error", "image", "complete"} {
		if !slices.Contains(got, want) {
			t.Errorf("stream events %v lack %q", got, want)
		}
	}
	c.call("stream malformed", "POST", "/api/v1/code/execute/stream", author, `[1]`, 400)
	c.call("stream bad token", "POST", "/api/v1/code/execute/stream", bad, `{"code":"print(1)"}`, 401)
	c.call("stream wrong method", "GET", "/api/v1/code/execute/stream", author, "", 405)
	c.call("stream too large", "POST", "/api/v1/code/execute/stream", author, mustJSON(map[string]string{"code": strings.Repeat("#", 70<<10)}), 413)
	c.call("stream policy violation", "POST", "/api/v1/code/execute/stream", author, `{"code":"import subprocess"}`, 422)
	c.call("stream quota used up", "POST", "/api/v1/code/execute/stream", user, `{"code":"print(1)"}`, 429)

	// Validation.
	c.call("validate", "POST", "/api/v1/code/validate", author, `{"code":"print(1)","language":"python"}`, 200)
	c.call("validate invalid", "POST", "/api/v1/code/validate", author, `{"code":"import os","policy":"strict"}`, 200)
	c.call("validate syntax error", "POST", "/api/v1/code/validate", author, `{"code":"def f(:\n  pass"}`, 200)
	c.call("validate C", "POST", "/api/v1/code/validate", author, `{"code":"int main(void){return 0}","language":"c"}`, 200)
	c.call("validate empty", "POST", "/api/v1/code/validate", author, `{"code":""}`, 400)
	c.call("validate bad token", "POST", "/api/v1/code/validate", bad, `{"code":"print(1)"}`, 401)
	c.call("validate wrong method", "GET", "/api/v1/code/validate", author, "", 405)
	c.call("validate too large", "POST", "/api/v1/code/validate", author, mustJSON(map[string]string{"code": strings.Repeat("#", 70<<10)}), 413)
	// The check quota is 6 × the run quota (3): 18 checks, then 429.
	checker := userToken(t, uniqueUser("checker"))
	for i := 0; ; i++ {
		ex := c.call(fmt.Sprintf("check %d", i+1), "POST", "/api/v1/code/validate", checker, `{"code":"print(2)"}`, map[bool]int{true: 429, false: 200}[i == 18])
		if i == 18 || ex.resp.StatusCode != 200 {
			break
		}
	}

	// Exercises, wasm and containers need the only slot: before the live run below holds it.
	exercisesContract(t, c, author, user, bad)
	wasmContract(t, c, author, user, bad)

	// Input and Stop on a live run, and 503 while it holds the only slot.
	_, evs, done = c.stream("interactive stream", author, `{"code":"print('name?', flush=True)\nprint('hello', input())\nimport time\ntime.sleep(60)"}`)
	start := <-evs
	id, _ := start["id"].(string)
	if start["type"] != "start" || id == "" {
		t.Fatalf("interactive stream began with %v", start)
	}
	c.call("stdin", "POST", "/api/v1/code/executions/"+id+"/stdin", author, `{"data":"Ada\n"}`, 202)
	c.call("stdin empty", "POST", "/api/v1/code/executions/"+id+"/stdin", author, `{}`, 400)
	c.call("stdin of someone else's run", "POST", "/api/v1/code/executions/"+id+"/stdin", stranger, `{"data":"x"}`, 404)
	c.call("stdin bad token", "POST", "/api/v1/code/executions/"+id+"/stdin", bad, `{"data":"x"}`, 401)
	c.call("stdin wrong method", "GET", "/api/v1/code/executions/"+id+"/stdin", author, "", 405)
	c.call("stdin too large", "POST", "/api/v1/code/executions/"+id+"/stdin", author, mustJSON(map[string]string{"data": strings.Repeat("x", 600<<10)}), 413)
	c.call("busy", "POST", "/api/v1/code/execute", author, `{"code":"print(1)"}`, 503)
	c.call("busy stream", "POST", "/api/v1/code/execute/stream", author, `{"code":"print(1)"}`, 503)
	// A check not yet cached needs a sandbox slot too.
	c.call("busy validate", "POST", "/api/v1/code/validate", author, `{"code":"print('not cached yet')"}`, 503)
	busyContract(c, author)
	c.call("cancel of someone else's run", "POST", "/api/v1/code/executions/"+id+"/cancel", stranger, "", 404)
	c.call("cancel bad token", "POST", "/api/v1/code/executions/"+id+"/cancel", bad, "", 401)
	c.call("cancel wrong method", "GET", "/api/v1/code/executions/"+id+"/cancel", author, "", 405)
	c.call("cancel", "POST", "/api/v1/code/executions/"+id+"/cancel", author, "", 202)
	rest := drain(evs)
	<-done
	if len(rest) == 0 || rest[len(rest)-1]["type"] != "complete" || rest[len(rest)-1]["status"] != "cancelled" {
		t.Errorf("interactive stream ended with %v", rest)
	}
	c.call("stdin after the end", "POST", "/api/v1/code/executions/"+id+"/stdin", author, `{"data":"x"}`, 409)
	c.call("cancel unknown", "POST", "/api/v1/code/executions/nope/cancel", author, "", 404)
	c.call("stdin to a fixed-stdin run", "POST", "/api/v1/code/executions/"+stdinRunID(t, c, author)+"/stdin", author, `{"data":"x"}`, 409)

	// History and stats.
	c.call("stats", "GET", "/api/v1/code/stats", author, "", 200)
	c.call("stats anonymous", "GET", "/api/v1/code/stats", "", "", 200)
	c.call("stats limited user", "GET", "/api/v1/code/stats", user, "", 200)
	c.call("stats bad token", "GET", "/api/v1/code/stats", bad, "", 401)
	c.call("stats wrong method", "POST", "/api/v1/code/stats", author, `{}`, 405)
	page := c.call("executions", "GET", "/api/v1/code/executions?limit=2", author, "", 200)
	if next, _ := page.json["next_cursor"].(string); next != "" {
		c.call("executions next page", "GET", "/api/v1/code/executions?limit=2&before="+next, author, "", 200)
	} else {
		t.Errorf("no next_cursor after 5+ runs: %s", page.body)
	}
	c.call("executions bad limit", "GET", "/api/v1/code/executions?limit=0", author, "", 400)
	c.call("executions bad cursor", "GET", "/api/v1/code/executions?before=nonsense", author, "", 400)
	c.call("executions bad token", "GET", "/api/v1/code/executions", bad, "", 401)
	c.call("execution", "GET", "/api/v1/code/executions/"+runID, author, "", 200)
	if figID, _ := fig.json["id"].(string); figID != "" {
		c.call("execution with figure", "GET", "/api/v1/code/executions/"+figID, author, "", 200)
	}
	c.call("rejected execution", "GET", "/api/v1/code/executions/"+rejectedID(t, c, author), author, "", 200)
	c.call("execution of someone else", "GET", "/api/v1/code/executions/"+runID, stranger, "", 404)
	c.call("execution bad token", "GET", "/api/v1/code/executions/"+runID, bad, "", 401)
	c.call("execution wrong method", "POST", "/api/v1/code/executions/"+runID, author, `{}`, 405)
	c.call("report", "POST", "/api/v1/code/executions", author,
		`{"code":"print(1)","language":"python","environment":"pyodide","status":"success","output":"1\n","error":null,"execution_time":0.01,"exit_code":0,"content_id":"python-basics","code_block_id":"hello"}`, 201)
	// Reports have their own quota: 6 × the run quota (3).
	reporter := userToken(t, uniqueUser("reporter"))
	for i := range 19 {
		c.call(fmt.Sprintf("report %d", i+1), "POST", "/api/v1/code/executions", reporter,
			`{"environment":"pyodide","status":"error","error":"Traceback ...","exit_code":1}`, map[bool]int{true: 429, false: 201}[i == 18])
	}
	c.call("report bad environment", "POST", "/api/v1/code/executions", author, `{"environment":"server","status":"success"}`, 400)
	c.call("report bad token", "POST", "/api/v1/code/executions", bad, `{"environment":"pyodide","status":"success"}`, 401)
	c.call("report too large", "POST", "/api/v1/code/executions", author, mustJSON(map[string]any{"environment": "pyodide", "status": "success", "code": strings.Repeat("#", 70<<10)}), 413)

	// Lessons.
	c.call("environments", "GET", "/api/v1/code/environments", "", "", 200)
	c.call("environments bad token", "GET", "/api/v1/code/environments", bad, "", 401)
	c.call("environments wrong method", "POST", "/api/v1/code/environments", "", `{}`, 405)
	c.call("content", "GET", "/api/v1/code/content", "", "", 200)
	c.call("content bad token", "GET", "/api/v1/code/content", bad, "", 401)
	c.call("content wrong method", "POST", "/api/v1/code/content", "", `{}`, 405)
	c.call("code blocks (author: aggregates)", "GET", "/api/v1/code/code-blocks/python-basics", author, "", 200)
	c.call("code blocks (anonymous)", "GET", "/api/v1/code/code-blocks/python-basics", "", "", 200)
	c.call("code blocks unknown", "GET", "/api/v1/code/code-blocks/nope", author, "", 404)
	c.call("code blocks bad token", "GET", "/api/v1/code/code-blocks/python-basics", bad, "", 401)
	c.call("code blocks wrong method", "POST", "/api/v1/code/code-blocks/python-basics", author, `{}`, 405)
	c.call("lesson", "GET", "/api/v1/code/content/python-basics", author, "", 200)
	c.call("lesson with figures", "GET", "/api/v1/code/content/plotting", "", "", 200)
	c.call("lesson unknown", "GET", "/api/v1/code/content/nope", author, "", 404)
	c.call("lesson bad token", "GET", "/api/v1/code/content/python-basics", bad, "", 401)
	c.call("lesson wrong method", "POST", "/api/v1/code/content/python-basics", author, `{}`, 405)

	c.report()
}

// stdinRunID starts a run with a fixed stdin that waits, so input sent to
// it is refused (409), then stops it.
func stdinRunID(t *testing.T, c *contract, token string) string {
	t.Helper()
	_, evs, done := c.stream("fixed-stdin stream", token, `{"code":"import time\ntime.sleep(60)","stdin":""}`)
	start := <-evs
	id, _ := start["id"].(string)
	t.Cleanup(func() {
		c.call("cancel fixed-stdin run", "POST", "/api/v1/code/executions/"+id+"/cancel", token, "", 202)
		drain(evs)
		<-done
	})
	return id
}

// rejectedID is the id of a policy-rejected run (recorded with a code prefix
// and its SHA-256).
func rejectedID(t *testing.T, c *contract, token string) string {
	t.Helper()
	ex := c.call("list for rejected", "GET", "/api/v1/code/executions?limit=100", token, "", 200)
	list, _ := ex.json["executions"].([]any)
	for _, e := range list {
		if m, _ := e.(map[string]any); m["status"] == "rejected" {
			return m["id"].(string)
		}
	}
	t.Fatalf("no rejected run in history: %s", ex.body)
	return ""
}

// report logs which declared (operation, status) pairs the table reached.
func (c *contract) report() {
	c.mu.Lock()
	defer c.mu.Unlock()
	declared, hit := 0, 0
	var missing []string
	ops := 0
	for path, item := range c.doc.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			ops++
			for code := range op.Responses.Codes.KeysFromOldest() {
				declared++
				key := strings.ToUpper(method) + " " + path + " " + code
				if c.covered[key] {
					hit++
				} else {
					missing = append(missing, key)
				}
			}
		}
	}
	sort.Strings(missing)
	c.t.Logf("live coverage: %d exchanges validated; %d operations; %d of %d declared (operation, status) pairs answered by the real server; not reached: %s",
		c.checked, ops, hit, declared, strings.Join(missing, ", "))
}
