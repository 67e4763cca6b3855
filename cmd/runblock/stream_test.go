package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

type sseEvent struct {
	at   time.Time
	data map[string]any
}

// openStream starts a streamed run and returns its events on a channel
// (closed at the end of the stream).
func openStream(t *testing.T, ctx context.Context, url, body string, header ...string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/api/v1/code/execute/stream", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan sseEvent, 1024)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "data: ") {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line[6:]), &m); err != nil {
				t.Errorf("bad event %q", line)
				return
			}
			ch <- sseEvent{time.Now(), m}
		}
	}()
	return resp, ch
}

func collect(ch <-chan sseEvent) []sseEvent {
	var evs []sseEvent
	for ev := range ch {
		evs = append(evs, ev)
	}
	return evs
}

// checkShape asserts start first, exactly one complete, last; it returns the
// complete event and the concatenated stdout/stderr.
func checkShape(t *testing.T, evs []sseEvent) (map[string]any, string, string) {
	t.Helper()
	if len(evs) < 2 || evs[0].data["type"] != "start" || evs[0].data["id"] == "" {
		t.Fatalf("stream does not begin with start: %v", evs)
	}
	var out, errs strings.Builder
	completes := 0
	for i, ev := range evs {
		switch ev.data["type"] {
		case "output":
			out.WriteString(ev.data["content"].(string))
		case "error":
			errs.WriteString(ev.data["content"].(string))
		case "complete":
			completes++
			if i != len(evs)-1 {
				t.Fatalf("complete is not last: %v", evs)
			}
		case "start":
			if i != 0 {
				t.Fatalf("second start: %v", evs)
			}
		default:
			t.Fatalf("unknown event %v", ev.data)
		}
	}
	if completes != 1 {
		t.Fatalf("%d complete events", completes)
	}
	return evs[len(evs)-1].data, out.String(), errs.String()
}

func TestStreamOrderAndContent(t *testing.T) {
	ts := startServer(t, sandboxOnly)
	resp, ch := openStream(t, context.Background(), ts.URL, `{"code":"import sys\nprint('a')\nprint('b', file=sys.stderr)\nprint('c')\nsys.exit(2)"}`)
	if resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("headers %v", resp.Header)
	}
	done, out, errs := checkShape(t, collect(ch))
	if out != "a\nc\n" || errs != "b\n" || done["status"] != "error" || done["exit_code"] != 2.0 || done["truncated"] != false {
		t.Fatalf("out %q err %q complete %v", out, errs, done)
	}
	if _, ok := done["execution_time"].(float64); !ok {
		t.Fatalf("complete lacks execution_time: %v", done)
	}
}

func TestStreamIsLive(t *testing.T) {
	ts := startServer(t, sandboxOnly)
	_, ch := openStream(t, context.Background(), ts.URL, `{"code":"import time\nfor i in range(5):\n    print(i)\n    time.sleep(0.2)"}`)
	evs := collect(ch)
	checkShape(t, evs)
	var times []time.Time
	for _, ev := range evs {
		if ev.data["type"] == "output" {
			times = append(times, ev.at)
		}
	}
	if len(times) < 4 {
		t.Fatalf("%d output events for 5 lines 200 ms apart: output came in a burst", len(times))
	}
	if spread := times[len(times)-1].Sub(times[0]); spread < 600*time.Millisecond {
		t.Fatalf("output events arrived within %s: not live", spread)
	}
}

func TestStreamInteractiveInput(t *testing.T) {
	ts := startServer(t, sandboxOnly)
	_, ch := openStream(t, context.Background(), ts.URL, `{"code":"name = input('name? ')\nprint('hi', name)\nage = input('age? ')\nprint('in ten years', int(age) + 10)"}`)
	start := <-ch
	id := start.data["id"].(string)
	send := func(body string, want int) {
		t.Helper()
		resp, m := postJSON(t, ts.URL+"/api/v1/code/executions/"+id+"/stdin", body)
		if resp.StatusCode != want {
			t.Fatalf("stdin %s: %d %v", body, resp.StatusCode, m)
		}
	}
	waitFor := func(text string) { t.Helper(); waitForOutput(t, ch, text) }
	waitFor("name? ")
	send(`{"data":"Ada\n"}`, 202)
	waitFor("hi Ada")
	send(`{"data":"26\n","eof":true}`, 202)
	waitFor("in ten years 36")
	done := collect(ch)
	if len(done) == 0 || done[len(done)-1].data["status"] != "success" {
		t.Fatalf("no successful complete: %v", done)
	}
	send(`{"data":"late\n"}`, 409)
	resp, _ := postJSON(t, ts.URL+"/api/v1/code/executions/not-a-run/stdin", `{"data":"x"}`)
	if resp.StatusCode != 404 {
		t.Fatalf("unknown id: %d", resp.StatusCode)
	}
}

func TestStreamCancelAndDisconnectKillEverything(t *testing.T) {
	ts := startServer(t, sandboxOnly)
	code := func(token string) string {
		return mustJSON(map[string]string{"code": fmt.Sprintf("import subprocess\nprint('working', flush=True)\nsubprocess.run(['/bin/sh','-c','sleep 600; : %s'])", token)})
	}
	t.Run("cancel", func(t *testing.T) {
		token := sandboxtest.UniqueToken()
		_, ch := openStream(t, context.Background(), ts.URL, code(token))
		id := (<-ch).data["id"].(string)
		<-ch // "working"
		resp, m := postJSON(t, ts.URL+"/api/v1/code/executions/"+id+"/cancel", `{}`)
		if resp.StatusCode != 202 {
			t.Fatalf("cancel: %d %v", resp.StatusCode, m)
		}
		evs := collect(ch)
		if last := evs[len(evs)-1].data; last["type"] != "complete" || last["status"] != "cancelled" {
			t.Fatalf("after cancel: %v", evs)
		}
		sandboxtest.AssertNoProcess(t, token)
	})
	t.Run("disconnect", func(t *testing.T) {
		token := sandboxtest.UniqueToken()
		ctx, cancel := context.WithCancel(context.Background())
		_, ch := openStream(t, ctx, ts.URL, code(token))
		<-ch
		<-ch
		cancel()
		collect(ch)
		sandboxtest.AssertNoProcess(t, token)
	})
}

func TestStreamEndsWithOneCompleteOnLimits(t *testing.T) {
	ts := startServer(t, sandboxOnly)
	for name, c := range map[string]struct{ body, status string }{
		"timeout":     {`{"code":"print('start')\nwhile True: pass","timeout":1}`, "timeout"},
		"truncated":   {`{"code":"while True: print('x' * 1000)"}`, "error"},
		"memory":      {`{"code":"x = b'x' * (400 << 20)"}`, "memory_limit"},
		"fixed stdin": {`{"code":"print(input())","stdin":"given\n"}`, "success"},
	} {
		t.Run(name, func(t *testing.T) {
			_, ch := openStream(t, context.Background(), ts.URL, c.body)
			done, out, errs := checkShape(t, collect(ch))
			if done["status"] != c.status {
				t.Fatalf("status %v, want %s", done, c.status)
			}
			if name == "truncated" && (done["truncated"] != true || len([]rune(out+errs)) != 10000) {
				t.Fatalf("truncated %v, %d chars", done["truncated"], len([]rune(out+errs)))
			}
		})
	}
}

func TestStreamRefusalIsJSONBeforeTheStreamOpens(t *testing.T) {
	ts := startServer(t, sandboxOnly)
	resp, ch := openStream(t, context.Background(), ts.URL, `{"code":"x","language":"cobol"}`)
	collect(ch)
	if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestStreamContinuationByteFloodIsCapped(t *testing.T) {
	ts := startServer(t, nil)
	_, ch := openStream(t, context.Background(), ts.URL, mustJSON(map[string]string{"code": continuationFlood, "language": "c"}))
	done, out, errs := checkShape(t, collect(ch))
	if done["truncated"] != true || out != strings.Repeat("\uFFFD", 10000) || errs != "" {
		t.Fatalf("complete %v; %d bytes of output, %d of errors", done, len(out), len(errs))
	}
}
