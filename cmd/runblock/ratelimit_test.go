package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Tests of per-user quotas through the real API: headers, what counts, the
// stream endpoint, anonymous callers, and a limiter backend that is down.

// quotaHeaders reads RateLimit-Limit, -Remaining and -Reset; each must be
// present and a whole number.
func quotaHeaders(t *testing.T, h http.Header) (limit, remaining, reset int) {
	t.Helper()
	get := func(name string) int {
		t.Helper()
		v := h.Get(name)
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s = %q, want a whole number (headers %v)", name, v, h)
		}
		return n
	}
	return get("RateLimit-Limit"), get("RateLimit-Remaining"), get("RateLimit-Reset")
}

func retryAfter(t *testing.T, h http.Header) int {
	t.Helper()
	n, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || n < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds ≥ 1", h.Get("Retry-After"))
	}
	return n
}

// statsOf is GET /stats for the token's owner.
func statsOf(t *testing.T, url, token string) map[string]any {
	t.Helper()
	resp, m := call(t, "GET", url+"/api/v1/code/stats", token, "")
	if resp.StatusCode != 200 {
		t.Fatalf("stats: %d %v", resp.StatusCode, m)
	}
	return m
}

// assertQuotaStats checks the seed's quota fields of GET /stats.
func assertQuotaStats(t *testing.T, m map[string]any, user string, used, limit, remaining int) {
	t.Helper()
	if m["user_id"] != user || m["executions_last_minute"] != float64(used) || m["rate_limit"] != float64(limit) || m["remaining"] != float64(remaining) {
		t.Fatalf("stats %v, want user_id %s, executions_last_minute %d, rate_limit %d, remaining %d", m, user, used, limit, remaining)
	}
	if _, ok := m["reset_in_seconds"].(float64); !ok {
		t.Fatalf("stats without reset_in_seconds: %v", m)
	}
}

func TestRateLimitCountsAdmittedRunsOnly(t *testing.T) {
	// 3 per minute: one unit every 20 s, far longer than this test needs,
	// so no unit comes back while it runs.
	ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config",
		writeConfig(t, hsConfig(`"rate_limit": {"per_role": {"user": 3}}`)))
	exec := ts.URL + "/api/v1/code/execute"
	user := uniqueUser("quota")
	tok := userToken(t, user)

	m := statsOf(t, ts.URL, tok)
	assertQuotaStats(t, m, user, 0, 3, 3)
	if m["reset_in_seconds"] != 0.0 {
		t.Fatalf("fresh user's reset_in_seconds: %v", m)
	}

	// Requests that never run don't count: policy violations, bad input.
	notRun := []struct {
		body   string
		status int
		code   string
	}{
		{`{"code":"import os\nos.system('id')"}`, 422, "policy_violation"},
		{`{"code":`, 400, "malformed_json"},
		{`{"code":"print(1)","language":"cobol"}`, 400, "unknown_language"},
		{`{"code":"print(1)","timeout":31}`, 400, "invalid_timeout"},
		{`{"code":"  "}`, 400, "empty_code"},
	}
	for _, c := range notRun {
		resp, m := call(t, "POST", exec, tok, c.body)
		if resp.StatusCode != c.status || m["code"] != c.code {
			t.Fatalf("%s: %d %v, want %d %s", c.body, resp.StatusCode, m, c.status, c.code)
		}
	}
	if resp, m := call(t, "POST", ts.URL+"/api/v1/code/execute/stream", tok, `{"code":"import subprocess"}`); resp.StatusCode != 422 {
		t.Fatalf("rejected stream: %d %v", resp.StatusCode, m)
	}
	assertQuotaStats(t, statsOf(t, ts.URL, tok), user, 0, 3, 3)

	// Admitted runs count, and every success says how much is left. A run
	// whose program fails still ran: it counts.
	var lastReset int
	for i, code := range []string{`{"code":"print('one')"}`, `{"code":"raise SystemExit(3)"}`} {
		resp, m := call(t, "POST", exec, tok, code)
		if resp.StatusCode != 200 {
			t.Fatalf("run %d: %d %v", i+1, resp.StatusCode, m)
		}
		limit, remaining, reset := quotaHeaders(t, resp.Header)
		if limit != 3 || remaining != 2-i || reset < 1 || reset > 60 {
			t.Fatalf("run %d: RateLimit-Limit %d, -Remaining %d, -Reset %d", i+1, limit, remaining, reset)
		}
		if resp.Header.Get("Retry-After") != "" {
			t.Fatalf("success with Retry-After: %v", resp.Header)
		}
		lastReset = reset
	}
	m = statsOf(t, ts.URL, tok)
	assertQuotaStats(t, m, user, 2, 3, 1)
	if r := m["reset_in_seconds"].(float64); r < 1 || int(r) > lastReset {
		t.Fatalf("stats reset_in_seconds %v, headers said %d", r, lastReset)
	}

	// The third run is streamed: the stream counts and carries the headers.
	resp, ch := openStream(t, context.Background(), ts.URL, `{"code":"print('three')"}`, "Authorization", "Bearer "+tok)
	done, out, _ := checkShape(t, collect(ch))
	if resp.StatusCode != 200 || done["status"] != "success" || out != "three\n" {
		t.Fatalf("stream: %d %q %v", resp.StatusCode, out, done)
	}
	if limit, remaining, _ := quotaHeaders(t, resp.Header); limit != 3 || remaining != 0 {
		t.Fatalf("stream: RateLimit-Limit %d, -Remaining %d", limit, remaining)
	}

	// Over the limit: 429 with Retry-After and the quota headers.
	resp, m = call(t, "POST", exec, tok, helloRun)
	if resp.StatusCode != 429 {
		t.Fatalf("fourth run: %d %v", resp.StatusCode, m)
	}
	assertErrorBody(t, m, "rate_limited")
	ra := retryAfter(t, resp.Header)
	limit, remaining, reset := quotaHeaders(t, resp.Header)
	// One unit comes back 20 s after the first run; the quota is full again
	// 40 s after that.
	if ra > 20 || limit != 3 || remaining != 0 || reset != ra+40 {
		t.Fatalf("429: Retry-After %d, RateLimit-Limit %d, -Remaining %d, -Reset %d", ra, limit, remaining, reset)
	}
	if !strings.Contains(m["error"].(string), "3 executions per minute") {
		t.Fatalf("429 message: %v", m)
	}
	// The stream is refused the same way, as JSON, before it opens.
	resp, ch = openStream(t, context.Background(), ts.URL, helloRun, "Authorization", "Bearer "+tok)
	if evs := collect(ch); resp.StatusCode != 429 || len(evs) != 0 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("stream over the limit: %d %s, %d events", resp.StatusCode, resp.Header.Get("Content-Type"), len(evs))
	}
	if retryAfter(t, resp.Header) > 20 {
		t.Fatalf("stream 429 Retry-After %s", resp.Header.Get("Retry-After"))
	}
	// Refusals don't count either, and bad requests are still told apart.
	if resp, m := call(t, "POST", exec, tok, `{"code":`); resp.StatusCode != 400 {
		t.Fatalf("malformed over the limit: %d %v", resp.StatusCode, m)
	}
	assertQuotaStats(t, statsOf(t, ts.URL, tok), user, 3, 3, 0)

	// Another user has a quota of their own.
	other := uniqueUser("quota-other")
	resp, m = call(t, "POST", exec, userToken(t, other), helloRun)
	if resp.StatusCode != 200 {
		t.Fatalf("other user: %d %v", resp.StatusCode, m)
	}
	if limit, remaining, _ := quotaHeaders(t, resp.Header); limit != 3 || remaining != 2 {
		t.Fatalf("other user: RateLimit-Limit %d, -Remaining %d", limit, remaining)
	}
	assertQuotaStats(t, statsOf(t, ts.URL, userToken(t, other)), other, 1, 3, 2)
	assertQuotaStats(t, statsOf(t, ts.URL, tok), user, 3, 3, 0)
}

func TestRateLimitPerRole(t *testing.T) {
	// The role claim picks the quota: authors have their own, trusted
	// services none, and anything else (including a token that claims to be
	// anonymous) is an ordinary user.
	ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config",
		writeConfig(t, hsConfig(`"rate_limit": {"per_role": {"user": 3, "author": 5, "service": 0}}`)))
	for _, c := range []struct {
		role  string
		limit int // 0: not limited
		want  string
	}{
		{"", 3, "user"},
		{"author", 5, "author"},
		{"AUTHOR", 5, "author"},
		{"service", 0, "service"},
		{"anonymous", 3, "user"},
		{"admin", 3, "user"},
	} {
		t.Run("role "+c.role, func(t *testing.T) {
			sub := uniqueUser("role")
			claims := claimsFor(sub)
			if c.role != "" {
				claims["role"] = c.role
			}
			tok := sign(t, jwt.SigningMethodHS256, []byte(testSecret), claims)
			resp, m := call(t, "POST", ts.URL+"/api/v1/code/execute", tok, helloRun)
			if resp.StatusCode != 200 {
				t.Fatalf("execute: %d %v", resp.StatusCode, m)
			}
			st := statsOf(t, ts.URL, tok)
			if st["role"] != c.want || st["user_id"] != sub {
				t.Fatalf("stats: %v", st)
			}
			if c.limit == 0 {
				for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} {
					if resp.Header.Get(h) != "" {
						t.Fatalf("unlimited role got %s: %v", h, resp.Header)
					}
				}
				if st["rate_limit"] != nil || st["remaining"] != nil || st["executions_last_minute"] != 0.0 {
					t.Fatalf("unlimited role's stats: %v", st)
				}
				return
			}
			if limit, remaining, _ := quotaHeaders(t, resp.Header); limit != c.limit || remaining != c.limit-1 {
				t.Fatalf("RateLimit-Limit %d, -Remaining %d, want %d, %d", limit, remaining, c.limit, c.limit-1)
			}
			assertQuotaStats(t, st, sub, 1, c.limit, c.limit-1)
		})
	}
}

// burst sends n runs of body at once, the i-th to urls[i%len(urls)], and
// returns the responses in order.
func burst(t *testing.T, urls []string, token, body string, n int) []*http.Response {
	t.Helper()
	out := make([]*http.Response, n)
	bodies := make([]map[string]any, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], bodies[i] = call(t, "POST", urls[i%len(urls)]+"/api/v1/code/execute", token, body)
		}()
	}
	close(start)
	wg.Wait()
	for i, resp := range out {
		switch resp.StatusCode {
		case 200:
			if bodies[i]["status"] != "success" {
				t.Fatalf("admitted run %d: %v", i, bodies[i])
			}
		case 429:
			if bodies[i]["code"] != "rate_limited" {
				t.Fatalf("refused run %d: %v", i, bodies[i])
			}
		default:
			t.Fatalf("run %d: %d %v", i, resp.StatusCode, bodies[i])
		}
	}
	return out
}

// assertExactlyAdmitted checks a burst: exactly limit admitted, each told a
// different remaining count (limit-1 … 0), the rest refused with 429.
func assertExactlyAdmitted(t *testing.T, resps []*http.Response, limit int) {
	t.Helper()
	var remaining []int
	refused := 0
	for _, resp := range resps {
		l, r, _ := quotaHeaders(t, resp.Header)
		if l != limit {
			t.Fatalf("RateLimit-Limit %d, want %d", l, limit)
		}
		if resp.StatusCode == 429 {
			refused++
			if r != 0 || retryAfter(t, resp.Header) > 60/limit {
				t.Fatalf("429 with RateLimit-Remaining %d, Retry-After %s", r, resp.Header.Get("Retry-After"))
			}
			continue
		}
		remaining = append(remaining, r)
	}
	slices.Sort(remaining)
	want := make([]int, limit)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(remaining, want) || refused != len(resps)-limit {
		t.Fatalf("admitted %d with remaining %v, refused %d; want %d admitted (remaining %v) and %d refused",
			len(remaining), remaining, refused, limit, want, len(resps)-limit)
	}
}

func TestRateLimitSeedDefaultIsTenPerMinute(t *testing.T) {
	// Enough sandboxes that the whole burst is decided at once: with the
	// seed's 10/min a unit comes back every 6 s.
	// One user's burst: lift the queue's per-user places (1 + 1 by
	// default, the rest would be replaced) so the quota alone decides.
	ts, _ := startServerArgs(t, map[string]string{"RUNBLOCK_MAX_CONCURRENT": "12", "RUNBLOCK_MAX_RUNNING_PER_USER": "12", "RUNBLOCK_MAX_WAITING_PER_USER": "12"}, "--log-level", "warn", "--config", writeConfig(t, hsConfig("")))
	const body = `{"code":"print('burst')"}`
	// Warm the policy verdict for this code (another user, another quota).
	if resp, m := call(t, "POST", ts.URL+"/api/v1/code/execute", userToken(t, uniqueUser("warm")), body); resp.StatusCode != 200 {
		t.Fatalf("warm-up: %d %v", resp.StatusCode, m)
	}
	user := uniqueUser("seed")
	tok := userToken(t, user)
	assertExactlyAdmitted(t, burst(t, []string{ts.URL}, tok, body, 12), 10)
	assertQuotaStats(t, statsOf(t, ts.URL, tok), user, 10, 10, 0)
}

func TestRateLimitAnonymousByClientIP(t *testing.T) {
	// Anonymous callers have their own, lower limit and are told apart by
	// address; X-Forwarded-For counts only from a trusted proxy: here the
	// test on 127.0.0.1, and not when it connects from 127.0.0.2.
	ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config", writeConfig(t, `{
		"auth": {"hs256_secret": "`+testSecret+`", "issuer": "`+testIssuer+`", "audience": "`+testAudience+`",
		         "allow_anonymous": true, "trusted_proxies": ["127.0.0.1"]},
		"rate_limit": {"per_role": {"anonymous": 2}}}`))
	exec := ts.URL + "/api/v1/code/execute"
	viaProxy := func(xff string) []string { return []string{"X-Forwarded-For", xff} }

	for i := range 2 {
		resp, m := call(t, "POST", exec, "", helloRun, viaProxy("203.0.113.7")...)
		if resp.StatusCode != 200 {
			t.Fatalf("anonymous run %d: %d %v", i+1, resp.StatusCode, m)
		}
		if limit, remaining, _ := quotaHeaders(t, resp.Header); limit != 2 || remaining != 1-i {
			t.Fatalf("anonymous run %d: RateLimit-Limit %d, -Remaining %d", i+1, limit, remaining)
		}
	}
	// Over the limit, also when the client prepends a forged hop: only the
	// address the trusted proxy saw counts.
	for _, xff := range []string{"203.0.113.7", "198.51.100.1, 203.0.113.7"} {
		resp, m := call(t, "POST", exec, "", helloRun, viaProxy(xff)...)
		if resp.StatusCode != 429 || m["code"] != "rate_limited" {
			t.Fatalf("X-Forwarded-For %s: %d %v", xff, resp.StatusCode, m)
		}
		retryAfter(t, resp.Header)
	}
	resp, m := call(t, "GET", ts.URL+"/api/v1/code/stats", "", "", viaProxy("203.0.113.7")...)
	if resp.StatusCode != 200 || m["role"] != "anonymous" {
		t.Fatalf("anonymous stats: %d %v", resp.StatusCode, m)
	}
	// The quota is the address's; the user id is this client's session.
	if m["quota_key"] != "anon:203.0.113.7" || !strings.HasPrefix(fmt.Sprint(m["user_id"]), "anon:s:") {
		t.Fatalf("anonymous stats: %v", m)
	}
	assertQuotaStats(t, m, m["user_id"].(string), 2, 2, 0)

	// Another client address behind the proxy has its own quota.
	resp, m = call(t, "POST", exec, "", helloRun, viaProxy("203.0.113.8")...)
	if resp.StatusCode != 200 {
		t.Fatalf("second client: %d %v", resp.StatusCode, m)
	}
	if _, remaining, _ := quotaHeaders(t, resp.Header); remaining != 1 {
		t.Fatalf("second client: RateLimit-Remaining %d", remaining)
	}
	// A signed-in user has the user limit (the seed's 10), whatever the address.
	resp, m = call(t, "POST", exec, userToken(t, uniqueUser("signed-in")), helloRun, viaProxy("203.0.113.7")...)
	if resp.StatusCode != 200 {
		t.Fatalf("signed-in user: %d %v", resp.StatusCode, m)
	}
	if limit, remaining, _ := quotaHeaders(t, resp.Header); limit != 10 || remaining != 9 {
		t.Fatalf("signed-in user: RateLimit-Limit %d, -Remaining %d", limit, remaining)
	}
	// A bad token is refused, not downgraded to anonymous.
	resp, m = call(t, "POST", exec, "forged.token.here", helloRun)
	if resp.StatusCode != 401 {
		t.Fatalf("bad token with anonymous allowed: %d %v", resp.StatusCode, m)
	}
	assertErrorBody(t, m, "invalid_token")

	// From 127.0.0.2, which is no trusted proxy, X-Forwarded-For is ignored.
	untrusted := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}}
	defer untrusted.CloseIdleConnections()
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/code/stats", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.99")
	r, err := untrusted.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	err = json.NewDecoder(r.Body).Decode(&st)
	r.Body.Close()
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("stats from 127.0.0.2: %d %v", r.StatusCode, err)
	}
	if st["quota_key"] != "anon:127.0.0.2" {
		t.Fatalf("stats from 127.0.0.2: %v", st)
	}
	assertQuotaStats(t, st, st["user_id"].(string), 0, 2, 2)
}

// TestRedisDown: a Redis that does not answer never crashes the server. By
// default runs are refused (the quota protects the machine) and /readyz and
// the log say why; with rate_limit.fail_open runs go ahead.
func TestRedisDown(t *testing.T) {
	const deadRedis = `"redis_url": "redis://127.0.0.1:1/0"`
	t.Run("fail closed", func(t *testing.T) {
		ts, logs := startServerArgs(t, nil, "--log-level", "warn", "--config", writeConfig(t, hsConfig(deadRedis)))
		tok := userToken(t, uniqueUser("redis-down"))
		resp, m := call(t, "GET", ts.URL+"/readyz", "", "")
		if msg, _ := m["error"].(string); resp.StatusCode != 503 || m["status"] != "unavailable" || !strings.Contains(msg, "redis") {
			t.Fatalf("readyz: %d %v", resp.StatusCode, m)
		}
		rid := uniqueUser("refused")
		for _, path := range []string{"/api/v1/code/execute", "/api/v1/code/execute/stream"} {
			resp, m = call(t, "POST", ts.URL+path, tok, helloRun, "X-Request-ID", rid+path[len(path)-4:])
			if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "5" {
				t.Fatalf("%s: %d %v %v", path, resp.StatusCode, resp.Header, m)
			}
			assertErrorBody(t, m, "rate_limiter_unavailable")
		}
		resp, m = call(t, "GET", ts.URL+"/api/v1/code/stats", tok, "")
		if resp.StatusCode != 503 {
			t.Fatalf("stats: %d %v", resp.StatusCode, m)
		}
		assertErrorBody(t, m, "rate_limiter_unavailable")
		// Input for a run this replica doesn't hold can't be routed.
		resp, m = call(t, "POST", ts.URL+"/api/v1/code/executions/0190-none/stdin", tok, `{"data":"x"}`)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("stdin: %d %v", resp.StatusCode, m)
		}
		// Validation failures are still answered as such.
		if resp, m = call(t, "POST", ts.URL+"/api/v1/code/execute", tok, `{"code":`); resp.StatusCode != 400 {
			t.Fatalf("malformed: %d %v", resp.StatusCode, m)
		}
		if resp, _ = call(t, "GET", ts.URL+"/healthz", "", ""); resp.StatusCode != 200 {
			t.Fatalf("healthz: %d", resp.StatusCode)
		}
		log := logs.String()
		if !strings.Contains(log, "redis unreachable at start-up") {
			t.Fatalf("log lacks the start-up error:\n%s", log)
		}
		// Each refusal is logged with the id its response carried.
		for _, id := range []string{rid + "cute", rid + "ream"} {
			if !logLine(log, "rate limiter unavailable; refusing run", "request_id="+id) {
				t.Fatalf("no refusal logged with request_id=%s:\n%s", id, log)
			}
		}
	})
	t.Run("fail open", func(t *testing.T) {
		ts, logs := startServerArgs(t, nil, "--log-level", "warn", "--config",
			writeConfig(t, hsConfig(deadRedis+`, "rate_limit": {"fail_open": true}`)))
		tok := userToken(t, uniqueUser("redis-down-open"))
		resp, m := call(t, "POST", ts.URL+"/api/v1/code/execute", tok, helloRun)
		if resp.StatusCode != 200 || m["output"] != "hello\n" {
			t.Fatalf("execute: %d %v", resp.StatusCode, m)
		}
		_, ch := openStream(t, context.Background(), ts.URL, `{"code":"print(input())","stdin":"streamed\n"}`, "Authorization", "Bearer "+tok)
		if done, out, _ := checkShape(t, collect(ch)); done["status"] != "success" || out != "streamed\n" {
			t.Fatalf("stream: %q %v", out, done)
		}
		// Ready (fail_open keeps serving) but degraded: the operator must
		// still hear that Redis is down.
		resp, m = call(t, "GET", ts.URL+"/readyz", "", "")
		if w := fmt.Sprint(m["warnings"]); resp.StatusCode != 200 || m["status"] != "degraded" || !strings.Contains(w, "redis") {
			t.Fatalf("readyz: %d %v", resp.StatusCode, m)
		}
		if log := logs.String(); !strings.Contains(log, "rate limiter unavailable; admitting run (fail_open)") {
			t.Fatalf("log lacks the fail_open warning:\n%s", log)
		}
	})
}

// logLine reports whether one line of log contains all of parts.
func logLine(log string, parts ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
