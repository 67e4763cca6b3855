package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Checks cost the caller like runs do (issue 9 §3): POST /validate and
// rejected runs have a quota of their own, a check takes a sandbox slot, and
// a rejected run is kept as a bounded prefix plus a digest. Real sandbox,
// real checker.

func TestChecksHaveAQuotaThroughAPI(t *testing.T) {
	ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config", writeConfig(t, hsConfig(
		`"rate_limit": {"per_role": {"user": 1}, "check_multiplier": 3}`)))
	api := ts.URL + "/api/v1/code"
	tok := userToken(t, uniqueUser("checker"))
	for i, code := range []string{"print(1)", "print(2)", "print(1)"} {
		resp, m := call(t, "POST", api+"/validate", tok, mustJSON(map[string]string{"code": code}))
		if resp.StatusCode != 200 || m["valid"] != true || resp.Header.Get("RateLimit-Limit") != "3" {
			t.Fatalf("check %d: %d %v %v", i+1, resp.StatusCode, resp.Header, m)
		}
	}
	resp, m := call(t, "POST", api+"/validate", tok, `{"code":"print(3)"}`)
	if resp.StatusCode != 429 || resp.Header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("fourth check: %d %v %v", resp.StatusCode, resp.Header, m)
	}
	assertErrorBody(t, m, "check_rate_limited")
	retryAfter(t, resp.Header)
	// Rejected code shares that quota: refused as over it, not checked.
	resp, m = call(t, "POST", api+"/execute", tok, `{"code":"import os"}`)
	if resp.StatusCode != 429 {
		t.Fatalf("rejected run over the check quota: %d %v", resp.StatusCode, m)
	}
	assertErrorBody(t, m, "check_rate_limited")
	if got := histList(t, ts.URL, tok, 10); len(got) != 0 {
		t.Fatalf("history after refused checks: %v", got)
	}
	// The quota is per caller.
	if resp, m := call(t, "POST", api+"/validate", userToken(t, uniqueUser("other")), `{"code":"print(3)"}`); resp.StatusCode != 200 {
		t.Fatalf("another user's check: %d %v", resp.StatusCode, m)
	}
}

// With one sandbox slot and no queue, a running program keeps /validate
// out (503, like a run) instead of checking beside it.
func TestValidateWaitsForASandboxSlot(t *testing.T) {
	ts, _ := startServerArgs(t, map[string]string{"RUNBLOCK_MAX_CONCURRENT": "1", "RUNBLOCK_MAX_QUEUE": "0"},
		"--log-level", "warn", "--config", writeConfig(t, hsConfig("")))
	tok := userToken(t, uniqueUser("slot"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, events := openStream(t, ctx, ts.URL, `{"code":"import time\nprint('go', flush=True)\ntime.sleep(60)"}`, "Authorization", "Bearer "+tok)
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	waitForOutput(t, events, "go")
	r, m := call(t, "POST", ts.URL+"/api/v1/code/validate", tok, `{"code":"x = 'new code'"}`)
	if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("check beside a running program: %d %v %v", r.StatusCode, r.Header, m)
	}
	assertErrorBody(t, m, "busy")
	cancel()
	for range events {
	}
	// Once the slot is free again, the check goes ahead.
	for {
		r, m = call(t, "POST", ts.URL+"/api/v1/code/validate", tok, `{"code":"x = 'new code'"}`)
		if r.StatusCode != 503 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r.StatusCode != 200 || m["valid"] != true {
		t.Fatalf("check after the run: %d %v", r.StatusCode, m)
	}
}

func TestRejectedRunKeepsPrefixSQLite(t *testing.T) {
	ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--config", writeConfig(t, hsConfig("")))
	checkRejectedPrefix(t, ts)
}

func TestRejectedRunKeepsPrefixPostgres(t *testing.T) {
	ts, _ := startServerArgs(t, nil, "--log-level", "warn", "--postgres-dsn", histNewPostgres(t), "--config", writeConfig(t, hsConfig("")))
	checkRejectedPrefix(t, ts)
}

func checkRejectedPrefix(t *testing.T, ts *testServer) {
	t.Helper()
	tok := userToken(t, uniqueUser("rejected"))
	code := "import os\n# " + strings.Repeat("ü", 30<<10) + "\n"
	resp, m := call(t, "POST", ts.URL+"/api/v1/code/execute", tok, mustJSON(map[string]string{"code": code}))
	if resp.StatusCode != 422 || m["status"] != "rejected" {
		t.Fatalf("execute: %d %v", resp.StatusCode, m)
	}
	got := histList(t, ts.URL, tok, 10)
	if len(got) != 1 {
		t.Fatalf("history: %v", got)
	}
	stored, _ := got[0]["code"].(string)
	sum := sha256.Sum256([]byte(code))
	if len(stored) > 1<<10 || len(stored) < 1<<10-utf8.UTFMax || !strings.HasPrefix(code, stored) {
		t.Fatalf("stored code is %d bytes, want a prefix of at most 1 KiB of the %d submitted", len(stored), len(code))
	}
	if got[0]["code_sha256"] != hex.EncodeToString(sum[:]) || got[0]["status"] != "rejected" {
		t.Fatalf("code_sha256 %v status %v, want the SHA-256 of the full code", got[0]["code_sha256"], got[0]["status"])
	}
	// A run that ran keeps its code whole and has no digest.
	resp, m = call(t, "POST", ts.URL+"/api/v1/code/execute", tok, `{"code":"print('kept')"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("run: %d %v", resp.StatusCode, m)
	}
	if got := histList(t, ts.URL, tok, 1); got[0]["code"] != "print('kept')" || got[0]["code_sha256"] != nil {
		t.Fatalf("ordinary run in history: %v", got[0])
	}
}
