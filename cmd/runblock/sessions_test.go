package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// Anonymous callers are told apart per browser by a signed session cookie
// (issue 9 §5), while their quota stays per address.

func init() {
	// The package's other tests act as one browser, as a learner's would:
	// anonymous history and runs belong to the session the server issued.
	jar, _ := cookiejar.New(nil)
	http.DefaultClient.Jar = jar
}

// anonBrowser is one browser: its own cookie jar, no token.
type anonBrowser struct{ c *http.Client }

func newAnonBrowser() *anonBrowser {
	jar, _ := cookiejar.New(nil)
	return &anonBrowser{&http.Client{Jar: jar}}
}

func (b *anonBrowser) do(t *testing.T, method, u, body string) (*http.Response, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &m)
	return resp, m
}

func (b *anonBrowser) cookie(t *testing.T, base string) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "runblock_anon" {
			return c
		}
	}
	t.Fatal("no runblock_anon cookie")
	return nil
}

// startRun opens a streamed run and returns its id once it has started; the
// stream stays open until ctx ends.
func (b *anonBrowser) startRun(t *testing.T, ctx context.Context, base, code string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/code/execute/stream", strings.NewReader(mustJSON(map[string]string{"code": code})))
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var ev map[string]any
		if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok && json.Unmarshal([]byte(line), &ev) == nil && ev["type"] == "start" {
			go func() { io.Copy(io.Discard, resp.Body); resp.Body.Close() }()
			return ev["id"].(string)
		}
	}
	t.Fatal("stream ended before start")
	return ""
}

func TestAnonymousBrowsersAreApart(t *testing.T) {
	ts := startServer(t, nil, "--config", writeConfig(t, `{"rate_limit": {"per_role": {"anonymous": 4}}}`))
	api := ts.URL + "/api/v1/code"
	alice, bob := newAnonBrowser(), newAnonBrowser()

	resp, m := alice.do(t, "POST", api+"/execute", `{"code":"print('alice secret')"}`)
	if resp.StatusCode != 200 || resp.Header.Get("RateLimit-Remaining") != "3" {
		t.Fatalf("alice's run: %d %v %v", resp.StatusCode, resp.Header, m)
	}
	set := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"runblock_anon=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(set, attr) {
			t.Fatalf("Set-Cookie %q lacks %s", set, attr)
		}
	}
	aliceRun := m["id"].(string)

	// Bob, behind the same address, shares the quota but not the history.
	resp, m = bob.do(t, "POST", api+"/execute", `{"code":"print('bob')"}`)
	if resp.StatusCode != 200 || resp.Header.Get("RateLimit-Remaining") != "2" {
		t.Fatalf("bob's run: %d %v %v", resp.StatusCode, resp.Header, m)
	}
	_, list := bob.do(t, "GET", api+"/executions", "")
	if runs, _ := list["executions"].([]any); len(runs) != 1 || strings.Contains(mustJSON(runs), "alice") {
		t.Fatalf("bob's history: %v", list)
	}
	if resp, m := bob.do(t, "GET", api+"/executions/"+aliceRun, ""); resp.StatusCode != 404 {
		t.Fatalf("bob reads alice's run: %d %v", resp.StatusCode, m)
	}
	_, list = alice.do(t, "GET", api+"/executions", "")
	if runs, _ := list["executions"].([]any); len(runs) != 1 || !strings.Contains(mustJSON(runs), "alice secret") {
		t.Fatalf("alice's history: %v", list)
	}

	// Bob can neither cancel nor feed alice's live run; alice can.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live := alice.startRun(t, ctx, ts.URL, "import time\ntime.sleep(60)")
	if resp, m := bob.do(t, "POST", api+"/executions/"+live+"/cancel", ""); resp.StatusCode != 404 {
		t.Fatalf("bob cancels alice's run: %d %v", resp.StatusCode, m)
	}
	if resp, m := bob.do(t, "POST", api+"/executions/"+live+"/stdin", `{"data":"x\n"}`); resp.StatusCode != 404 {
		t.Fatalf("bob feeds alice's run: %d %v", resp.StatusCode, m)
	}
	if resp, m := alice.do(t, "POST", api+"/executions/"+live+"/cancel", ""); resp.StatusCode != 202 {
		t.Fatalf("alice cancels her run: %d %v", resp.StatusCode, m)
	}

	// Stats: each browser its own user id, both subject to the address's
	// quota (alice's streamed run counted too); a browser that drops its
	// cookie starts no fresh quota.
	_, as := alice.do(t, "GET", api+"/stats", "")
	_, bs := bob.do(t, "GET", api+"/stats", "")
	_, fresh := newAnonBrowser().do(t, "GET", api+"/stats", "")
	for _, st := range []map[string]any{as, bs, fresh} {
		if st["quota_key"] != "anon:127.0.0.1" || st["executions_last_minute"] != 3.0 || st["remaining"] != 1.0 {
			t.Fatalf("stats %v", st)
		}
	}
	if as["user_id"] == bs["user_id"] || !strings.HasPrefix(as["user_id"].(string), "anon:s:") || as["total_executions"] != 2.0 || bs["total_executions"] != 1.0 {
		t.Fatalf("alice %v, bob %v", as, bs)
	}

	// A tampered cookie is ignored: a new session, none of alice's runs.
	c := alice.cookie(t, ts.URL)
	forger := newAnonBrowser()
	u, _ := url.Parse(ts.URL)
	id, sig, _ := strings.Cut(c.Value, ".")
	forger.c.Jar.SetCookies(u, []*http.Cookie{{Name: "runblock_anon", Value: id + "." + strings.Repeat("A", len(sig)), Path: "/"}})
	resp, list = forger.do(t, "GET", api+"/executions", "")
	if runs, _ := list["executions"].([]any); resp.StatusCode != 200 || len(runs) != 0 || !strings.Contains(resp.Header.Get("Set-Cookie"), "runblock_anon=") {
		t.Fatalf("tampered cookie: %d %v %v", resp.StatusCode, resp.Header, list)
	}
	if got := forger.cookie(t, ts.URL).Value; got == c.Value || strings.HasPrefix(got, id+".") {
		t.Fatalf("tampered cookie kept its session: %s", got)
	}
}

// The generated session key is kept in the data dir: after a restart a
// browser is still its session and sees its history.
func TestAnonymousSessionSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first := startServer(t, nil, "--data-dir", dir)
	b := newAnonBrowser()
	if resp, m := b.do(t, "POST", first.URL+"/api/v1/code/execute", `{"code":"print('before restart')"}`); resp.StatusCode != 200 {
		t.Fatalf("run: %d %v", resp.StatusCode, m)
	}
	first.stop(t)
	if st, err := filepath.Glob(filepath.Join(dir, "session.key")); err != nil || len(st) != 1 {
		t.Fatalf("session key file: %v %v", st, err)
	}
	second := startServer(t, nil, "--data-dir", dir)
	// Same host, new port: carry the browser's cookie over (a real browser
	// would find the server at the same origin).
	u1, _ := url.Parse(first.URL)
	u2, _ := url.Parse(second.URL)
	b.c.Jar.SetCookies(u2, b.c.Jar.Cookies(u1))
	resp, list := b.do(t, "GET", second.URL+"/api/v1/code/executions", "")
	if runs, _ := list["executions"].([]any); resp.StatusCode != 200 || len(runs) != 1 || resp.Header.Get("Set-Cookie") != "" {
		t.Fatalf("after restart: %d %v %v", resp.StatusCode, resp.Header, list)
	}
}
