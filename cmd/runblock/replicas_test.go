package main

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Two `runblock serve` replicas sharing the Redis at 127.0.0.1:6379, as
// behind a round-robin load balancer: one quota per user across both, and
// input and Stop reach a run whichever replica receives them.

const testRedisURL = "redis://127.0.0.1:6379/0"

// requireRedis fails (never skips) when the test Redis does not answer:
// `make test` starts it (scripts/ensure-redis.sh). It returns a client for
// inspecting and cleaning up the keys a test used.
func requireRedis(t *testing.T) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(testRedisURL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at %s does not answer (run scripts/ensure-redis.sh): %v", testRedisURL, err)
	}
	return c
}

// startReplicas starts two servers on the shared Redis. Their sandboxes use
// different uid ranges, as separate hosts would.
func startReplicas(t *testing.T, redisURL string, env map[string]string) (a, b *testServer) {
	t.Helper()
	cfg := writeConfig(t, hsConfig(""))
	envB := map[string]string{"RUNBLOCK_UID_BASE": "61200"}
	for k, v := range env {
		envB[k] = v
	}
	a, _ = startServerArgs(t, env, "--log-level", "warn", "--config", cfg, "--redis-url", redisURL)
	b, _ = startServerArgs(t, envB, "--log-level", "warn", "--config", cfg, "--redis-url", redisURL)
	return a, b
}

// sendTo posts to a run's stdin or cancel endpoint on one replica.
func sendTo(t *testing.T, ts *testServer, token, id, op, body string, want int) {
	t.Helper()
	resp, m := call(t, "POST", ts.URL+"/api/v1/code/executions/"+id+"/"+op, token, body)
	if resp.StatusCode != want {
		t.Fatalf("%s on %s: %d %v, want %d", op, ts.URL, resp.StatusCode, m, want)
	}
	if want == 404 {
		assertErrorBody(t, m, "execution_not_found")
	}
}

// waitForOutput reads the stream until its output contains text.
func waitForOutput(t *testing.T, ch <-chan sseEvent, text string) {
	t.Helper()
	var got strings.Builder
	for ev := range ch {
		if c, _ := ev.data["content"].(string); c != "" {
			got.WriteString(c)
		}
		if strings.Contains(got.String(), text) {
			return
		}
	}
	t.Fatalf("stream ended before %q (got %q)", text, got.String())
}

func TestReplicasShareOneQuota(t *testing.T) {
	rdb := requireRedis(t)
	// Enough sandboxes on each replica that the whole burst is decided at
	// once: with the seed's 10/min a unit comes back every 6 s.
	// One user's burst: lift the queue's per-user places so the shared
	// quota alone decides.
	a, b := startReplicas(t, testRedisURL, map[string]string{"RUNBLOCK_MAX_CONCURRENT": "13", "RUNBLOCK_MAX_RUNNING_PER_USER": "13", "RUNBLOCK_MAX_WAITING_PER_USER": "13"})
	const body = `{"code":"print('shared')"}`
	// Warm each replica's policy verdict for this code (another user).
	warm := userToken(t, uniqueUser("warm"))
	for _, ts := range []*testServer{a, b} {
		if resp, m := call(t, "POST", ts.URL+"/api/v1/code/execute", warm, body); resp.StatusCode != 200 {
			t.Fatalf("warm-up: %d %v", resp.StatusCode, m)
		}
	}
	user := uniqueUser("shared")
	t.Cleanup(func() { rdb.Del(context.Background(), "rate:user:"+user) })
	tok := userToken(t, user)

	resps := burst(t, []string{a.URL, b.URL}, tok, body, 25)
	assertExactlyAdmitted(t, resps, 10)
	// Both replicas took part in admitting (round robin, 13 requests to a,
	// 12 to b): neither could have admitted 10 on a quota of its own and
	// also refused its share.
	admitted := [2]int{}
	for i, resp := range resps {
		if resp.StatusCode == 200 {
			admitted[i%2]++
		}
	}
	if admitted[0]+admitted[1] != 10 {
		t.Fatalf("admitted per replica %v", admitted)
	}
	// Each replica reports the shared standing.
	for _, ts := range []*testServer{a, b} {
		assertQuotaStats(t, statsOf(t, ts.URL, tok), user, 10, 10, 0)
	}
	// The quota lives in Redis under the user's key.
	if n, err := rdb.Exists(context.Background(), "rate:user:"+user).Result(); err != nil || n != 1 {
		t.Fatalf("rate:user:%s exists = %d, %v", user, n, err)
	}
	// Another user is untouched on either replica.
	other := uniqueUser("shared-other")
	t.Cleanup(func() { rdb.Del(context.Background(), "rate:user:"+other) })
	resp, m := call(t, "POST", b.URL+"/api/v1/code/execute", userToken(t, other), body)
	if resp.StatusCode != 200 {
		t.Fatalf("other user: %d %v", resp.StatusCode, m)
	}
	if _, remaining, _ := quotaHeaders(t, resp.Header); remaining != 9 {
		t.Fatalf("other user: RateLimit-Remaining %d", remaining)
	}
}

func TestRelayAcrossReplicas(t *testing.T) {
	rdb := requireRedis(t)
	a, b := startReplicas(t, testRedisURL, nil)
	alice, bob := uniqueUser("alice"), uniqueUser("bob")
	t.Cleanup(func() { rdb.Del(context.Background(), "rate:user:"+alice, "rate:user:"+bob) })
	aliceTok, bobTok := userToken(t, alice), userToken(t, bob)

	t.Run("input", func(t *testing.T) {
		_, ch := openStream(t, context.Background(), a.URL,
			`{"code":"name = input('name? ')\nprint('hi', name)\nage = input('age? ')\nprint('next year', int(age) + 1)"}`,
			"Authorization", "Bearer "+aliceTok)
		start := <-ch
		id, _ := start.data["id"].(string)
		if start.data["type"] != "start" || id == "" {
			t.Fatalf("first event %v", start.data)
		}
		waitForOutput(t, ch, "name? ")
		sendTo(t, b, aliceTok, id, "stdin", `{"data":"Ada\n"}`, 202) // B relays to A
		waitForOutput(t, ch, "hi Ada")
		// Bob can't reach Alice's run on either replica.
		for _, ts := range []*testServer{a, b} {
			sendTo(t, ts, bobTok, id, "stdin", `{"data":"Mallory\n"}`, 404)
			sendTo(t, ts, bobTok, id, "cancel", `{}`, 404)
		}
		sendTo(t, b, aliceTok, id, "stdin", `{"data":"36\n","eof":true}`, 202)
		waitForOutput(t, ch, "next year 37")
		evs := collect(ch)
		if len(evs) == 0 || evs[len(evs)-1].data["type"] != "complete" || evs[len(evs)-1].data["status"] != "success" {
			t.Fatalf("after input via B: %v", evs)
		}
		// Finished: Alice is told so on both replicas, Bob still sees nothing.
		sendTo(t, b, aliceTok, id, "stdin", `{"data":"late\n"}`, 409)
		sendTo(t, a, aliceTok, id, "stdin", `{"data":"late\n"}`, 409)
		sendTo(t, b, bobTok, id, "cancel", `{}`, 404)
	})

	t.Run("cancel", func(t *testing.T) {
		_, ch := openStream(t, context.Background(), a.URL,
			`{"code":"import time\nprint('working', flush=True)\ntime.sleep(60)\nprint('not reached')"}`,
			"Authorization", "Bearer "+aliceTok)
		start := <-ch
		id, _ := start.data["id"].(string)
		waitForOutput(t, ch, "working")
		sendTo(t, b, bobTok, id, "cancel", `{}`, 404)
		sendTo(t, a, bobTok, id, "cancel", `{}`, 404)
		sendTo(t, b, aliceTok, id, "cancel", `{}`, 202) // B relays Stop to A
		// The rest of the stream (after "working", however its writes were
		// split): nothing more from the program, one complete: cancelled.
		done, out, _ := checkShape(t, append([]sseEvent{start}, collect(ch)...))
		if done["status"] != "cancelled" || done["id"] != id || strings.TrimSpace(out) != "" {
			t.Fatalf("after cancel via B: output after \"working\" %q, complete %v", out, done)
		}
		sendTo(t, b, aliceTok, id, "cancel", `{}`, 409)
	})

	// Input the holder refuses is refused the same way through either
	// replica, not accepted by B and dropped on A.
	t.Run("refusals", func(t *testing.T) {
		refused := func(id, code string) {
			t.Helper()
			for _, ts := range []*testServer{a, b} {
				resp, m := call(t, "POST", ts.URL+"/api/v1/code/executions/"+id+"/stdin", aliceTok, `{"data":"more\n"}`)
				if resp.StatusCode != 409 || m["code"] != code {
					t.Fatalf("stdin on %s: %d %v, want 409 %s", ts.URL, resp.StatusCode, m, code)
				}
			}
		}
		// A run started with a fixed stdin takes no more.
		resp, ch := openStream(t, context.Background(), a.URL,
			`{"code":"import time\nprint(input(), flush=True)\ntime.sleep(60)","stdin":"given\n"}`, "Authorization", "Bearer "+aliceTok)
		if resp.StatusCode != 200 {
			t.Fatalf("stream: %d", resp.StatusCode)
		}
		id, _ := (<-ch).data["id"].(string)
		waitForOutput(t, ch, "given")
		refused(id, "stdin_not_interactive")
		sendTo(t, b, aliceTok, id, "cancel", `{}`, 202)
		if evs := collect(ch); len(evs) == 0 || evs[len(evs)-1].data["status"] != "cancelled" {
			t.Fatalf("fixed-stdin run after cancel: %v", evs)
		}
		// After EOF, stdin is closed.
		resp, ch = openStream(t, context.Background(), a.URL,
			`{"code":"import time\nprint('read', input(), flush=True)\ntime.sleep(60)"}`, "Authorization", "Bearer "+aliceTok)
		if resp.StatusCode != 200 {
			t.Fatalf("stream: %d", resp.StatusCode)
		}
		id, _ = (<-ch).data["id"].(string)
		sendTo(t, b, aliceTok, id, "stdin", `{"data":"all\n","eof":true}`, 202)
		waitForOutput(t, ch, "read all")
		refused(id, "stdin_closed")
		sendTo(t, b, aliceTok, id, "cancel", `{}`, 202)
		if evs := collect(ch); len(evs) == 0 || evs[len(evs)-1].data["status"] != "cancelled" {
			t.Fatalf("run after cancel: %v", evs)
		}
	})

	// Alice's runs were admitted on A and counted in the shared quota.
	assertQuotaStats(t, statsOf(t, b.URL, aliceTok), alice, 4, 10, 6)
	assertQuotaStats(t, statsOf(t, a.URL, bobTok), bob, 0, 10, 10)
}

// privateRedis runs a redis-server of the test's own on port (nothing
// persisted) and returns a func that stops it.
func privateRedis(t *testing.T, port string) (stop func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is needed (scripts/ensure-redis.sh installs it): %v", err)
	}
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port})
	defer c.Close()
	for i := 0; c.Ping(context.Background()).Err() != nil; i++ {
		if i == 100 {
			stop()
			t.Fatalf("private redis-server on port %s did not answer", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return stop
}

// waitReady polls /readyz until it answers want (an outage or a recovery
// being noticed, not a measurement).
func waitReady(t *testing.T, ts *testServer, want int) map[string]any {
	t.Helper()
	for i := 0; ; i++ {
		resp, m := call(t, "GET", ts.URL+"/readyz", "", "")
		if resp.StatusCode == want {
			return m
		}
		if i == 200 {
			t.Fatalf("readyz still %d %v, want %d", resp.StatusCode, m, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReplicasSurviveRedisRestart: Redis goes away under two serving
// replicas and comes back. Nothing crashes; while it is gone runs are
// refused (fail closed) and /readyz says why; afterwards quotas and the
// input relay work again without restarting the replicas.
func TestReplicasSurviveRedisRestart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	stop := privateRedis(t, port)
	a, b := startReplicas(t, "redis://127.0.0.1:"+port+"/0", nil)
	alice := uniqueUser("restart")
	tok := userToken(t, alice)
	run := func(ts *testServer, want int) *http.Response {
		t.Helper()
		resp, m := call(t, "POST", ts.URL+"/api/v1/code/execute", tok, helloRun)
		if resp.StatusCode != want {
			t.Fatalf("execute on %s: %d %v, want %d", ts.URL, resp.StatusCode, m, want)
		}
		return resp
	}
	run(a, 200)
	if _, remaining, _ := quotaHeaders(t, run(b, 200).Header); remaining != 8 {
		t.Fatalf("second run: RateLimit-Remaining %d", remaining)
	}

	stop()
	for _, ts := range []*testServer{a, b} {
		m := waitReady(t, ts, 503)
		if msg, _ := m["error"].(string); !strings.Contains(msg, "redis") {
			t.Fatalf("readyz without Redis: %v", m)
		}
		_, body := call(t, "POST", ts.URL+"/api/v1/code/execute", tok, helloRun)
		assertErrorBody(t, body, "rate_limiter_unavailable")
		if resp, _ := call(t, "GET", ts.URL+"/healthz", "", ""); resp.StatusCode != 200 {
			t.Fatalf("healthz without Redis: %d", resp.StatusCode)
		}
	}

	privateRedis(t, port) // empty again: nothing was persisted
	for _, ts := range []*testServer{a, b} {
		waitReady(t, ts, 200)
	}
	// Both relays subscribe again by themselves (this Redis is the test's
	// own: no other subscribers).
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port})
	defer rdb.Close()
	for i := 0; ; i++ {
		chans, err := rdb.PubSubChannels(context.Background(), "runblock:relay:*").Result()
		if err == nil && len(chans) == 2 {
			break
		}
		if i == 200 {
			t.Fatalf("relay channels after the restart: %v %v, want 2", chans, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The quota starts afresh in the new Redis.
	if _, remaining, _ := quotaHeaders(t, run(a, 200).Header); remaining != 9 {
		t.Fatalf("after the restart: RateLimit-Remaining %d", remaining)
	}
	// The relay re-subscribed: input sent to B reaches a run on A.
	_, ch := openStream(t, context.Background(), a.URL, `{"code":"print('got', input('? '))"}`, "Authorization", "Bearer "+tok)
	start := <-ch
	id, _ := start.data["id"].(string)
	waitForOutput(t, ch, "? ")
	sendTo(t, b, tok, id, "stdin", `{"data":"again\n","eof":true}`, 202)
	waitForOutput(t, ch, "got again")
	if evs := collect(ch); len(evs) == 0 || evs[len(evs)-1].data["status"] != "success" {
		t.Fatalf("after input via B: %v", evs)
	}
}
