package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fair queue end to end: `runblock serve` through run(), the real
// sandbox. A "holder" run waits in input() and keeps the only slot until
// the test sends it a line, so what queues behind it is decided by the
// test, not by timing.

// queueServer serves with one slot and the given waiting places.
func queueServer(t *testing.T, maxQueue int) *testServer {
	return startServer(t, map[string]string{"RUNBLOCK_MAX_CONCURRENT": "1", "RUNBLOCK_MAX_QUEUE": strconv.Itoa(maxQueue)})
}

// learnerStream opens a streamed run as browser b (nil: a new browser,
// i.e. a new anonymous session) and returns its events.
func learnerStream(t *testing.T, ctx context.Context, b *anonBrowser, base, code string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	if b == nil {
		b = newAnonBrowser()
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/code/execute/stream", strings.NewReader(mustJSON(map[string]string{"code": code})))
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan sseEvent, 1024)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m map[string]any
				if json.Unmarshal([]byte(line), &m) == nil {
					ch <- sseEvent{time.Now(), m}
				}
			}
		}
	}()
	return resp, ch
}

// next returns the next event of the stream (failing if it ended).
func next(t *testing.T, ch <-chan sseEvent) map[string]any {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev.data
	case <-time.After(30 * time.Second):
		t.Fatal("no event in 30 s")
	}
	return nil
}

// holdSlot starts a run that waits in input() and returns a func that lets
// it finish.
func holdSlot(t *testing.T, ctx context.Context, base string) func() {
	t.Helper()
	b := newAnonBrowser()
	_, ch := learnerStream(t, ctx, b, base, "input()")
	ev := next(t, ch)
	if ev["type"] != "start" {
		t.Fatalf("holder: %v", ev)
	}
	id := ev["id"].(string)
	return func() {
		resp, m := b.do(t, "POST", base+"/api/v1/code/executions/"+id+"/stdin", `{"data":"go\n"}`)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("releasing the holder: %d %v", resp.StatusCode, m)
		}
		for range ch {
		}
	}
}

type queueState struct {
	Slots, Running, Waiting int
	DrainRate               float64 `json:"drain_rate"`
	RetryAfter              float64 `json:"retry_after"`
}

func readQueue(t *testing.T, base string) queueState {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Queue queueState }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Queue
}

// waitQueue polls /readyz until cond holds (state the server is about to
// reach, not a measurement).
func waitQueue(t *testing.T, base, what string, cond func(queueState) bool) queueState {
	t.Helper()
	for i := 0; ; i++ {
		st := readQueue(t, base)
		if cond(st) {
			return st
		}
		if i == 600 {
			t.Fatalf("queue never %s: %+v", what, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func intOf(v any) int { f, _ := v.(float64); return int(f) }

// A burst larger than the slots: every run completes, they start in the
// order they arrived, and each hears its place go down until it starts.
func TestQueueBurstCompletesInArrivalOrder(t *testing.T) {
	ts := queueServer(t, 64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := holdSlot(t, ctx, ts.URL)
	const n = 6
	streams := make([]<-chan sseEvent, n)
	ids := make([]string, n)
	for i := range n {
		_, streams[i] = learnerStream(t, ctx, nil, ts.URL, fmt.Sprintf("print('run %d')", i))
		ev := next(t, streams[i])
		if ev["type"] != "queued" || intOf(ev["position"]) != i+1 || ev["id"] == "" {
			t.Fatalf("run %d: first event %v, want queued at %d with an id", i, ev, i+1)
		}
		if _, ok := ev["estimated_wait"].(float64); !ok {
			t.Fatalf("run %d: queued event without estimated_wait: %v", i, ev)
		}
		ids[i] = ev["id"].(string)
	}
	if st := readQueue(t, ts.URL); st.Waiting != n || st.Running != 1 {
		t.Fatalf("queue with the holder and %d waiting: %+v", n, st)
	}
	release()
	var starts []float64
	for i, ch := range streams {
		last := i + 1
		var start map[string]any
		var events []string
		for ev := range ch {
			e := ev.data
			events = append(events, e["type"].(string))
			switch e["type"] {
			case "queued":
				if p := intOf(e["position"]); p >= last || start != nil {
					t.Fatalf("run %d: position %d after %d (start seen: %v)", i, p, last, start != nil)
				} else {
					last = p
				}
			case "start":
				start = e
			case "complete":
				if e["status"] != "success" || e["id"] != ids[i] {
					t.Fatalf("run %d: %v", i, e)
				}
			}
		}
		if start == nil || start["id"] != ids[i] || events[len(events)-1] != "complete" {
			t.Fatalf("run %d: events %v", i, events)
		}
		ts, _ := strconv.ParseFloat(start["timestamp"].(string), 64)
		starts = append(starts, ts)
	}
	for i := 1; i < n; i++ {
		if starts[i] < starts[i-1] {
			t.Fatalf("run %d started before run %d: %v", i, i-1, starts)
		}
	}
	waitQueue(t, ts.URL, "empty", func(s queueState) bool { return s.Running == 0 && s.Waiting == 0 })
}

// One learner pressing Run ten times at once holds one place in line: each
// newer run replaces the waiting one, and the replaced ones are told so.
func TestQueueOneLearnerHoldsOneWaitingPlace(t *testing.T) {
	ts := queueServer(t, 64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := holdSlot(t, ctx, ts.URL)
	me := newAnonBrowser()
	if resp, _ := me.do(t, "GET", ts.URL+"/api/v1/code/stats", ""); resp.StatusCode != 200 {
		t.Fatalf("stats: %d", resp.StatusCode)
	}
	const n = 10
	ends := make(chan map[string]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ch := learnerStream(t, ctx, me, ts.URL, fmt.Sprintf("print(%d)", i))
			var last map[string]any
			for ev := range ch {
				last = ev.data
			}
			ends <- last
		}()
	}
	replaced := 0
	for replaced < n-1 {
		e := <-ends
		if e == nil || e["type"] != "complete" || e["status"] != "cancelled" || e["code"] != "replaced" {
			t.Fatalf("a run ended with %v, want replaced", e)
		}
		replaced++
		if st := readQueue(t, ts.URL); st.Waiting > 1 {
			t.Fatalf("one learner holds %d waiting places", st.Waiting)
		}
	}
	if st := readQueue(t, ts.URL); st.Waiting != 1 {
		t.Fatalf("after %d replaced: %+v", replaced, st)
	}
	release()
	if e := <-ends; e["status"] != "success" {
		t.Fatalf("the newest run: %v", e)
	}
	wg.Wait()
}

// Stop of a queued run: it leaves the line at once and its place is free.
func TestQueueStopOfQueuedRunFreesItsPlace(t *testing.T) {
	ts := queueServer(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := holdSlot(t, ctx, ts.URL)
	me := newAnonBrowser()
	_, ch := learnerStream(t, ctx, me, ts.URL, "print('never')")
	ev := next(t, ch)
	if ev["type"] != "queued" {
		t.Fatalf("first event %v", ev)
	}
	id := ev["id"].(string)
	// The one waiting place is taken: someone else is refused.
	resp, m := postJSON(t, ts.URL+"/api/v1/code/execute", `{"code":"print(1)"}`)
	if resp.StatusCode != 503 || m["code"] != "busy" {
		t.Fatalf("full line: %d %v", resp.StatusCode, m)
	}
	// Someone else can't stop it; its owner can.
	if resp, _ := newAnonBrowser().do(t, "POST", ts.URL+"/api/v1/code/executions/"+id+"/cancel", `{}`); resp.StatusCode != 404 {
		t.Fatalf("a stranger's cancel: %d", resp.StatusCode)
	}
	if resp, m := me.do(t, "POST", ts.URL+"/api/v1/code/executions/"+id+"/cancel", `{}`); resp.StatusCode/100 != 2 {
		t.Fatalf("cancel: %d %v", resp.StatusCode, m)
	}
	evs := collect(ch)
	if len(evs) == 0 || evs[len(evs)-1].data["type"] != "complete" || evs[len(evs)-1].data["status"] != "cancelled" {
		t.Fatalf("stopped queued run ended with %v", evs)
	}
	for _, e := range evs {
		if e.data["type"] == "start" || e.data["type"] == "output" {
			t.Fatalf("a stopped queued run started: %v", evs)
		}
	}
	if st := readQueue(t, ts.URL); st.Waiting != 0 {
		t.Fatalf("after Stop: %+v", st)
	}
	// Its place is free again.
	_, ch2 := learnerStream(t, ctx, nil, ts.URL, "print('next')")
	if ev := next(t, ch2); ev["type"] != "queued" || intOf(ev["position"]) != 1 {
		t.Fatalf("the freed place: %v", ev)
	}
	release()
	if evs := collect(ch2); evs[len(evs)-1].data["status"] != "success" {
		t.Fatalf("run in the freed place: %v", evs)
	}
}

// A client that disconnects while queued leaves the line.
func TestQueueDisconnectWhileQueuedLeavesTheLine(t *testing.T) {
	ts := queueServer(t, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := holdSlot(t, ctx, ts.URL)
	defer release()
	var cancels []context.CancelFunc
	for i := range 3 {
		cctx, ccancel := context.WithCancel(ctx)
		cancels = append(cancels, ccancel)
		_, ch := learnerStream(t, cctx, nil, ts.URL, "print('gone')")
		if ev := next(t, ch); ev["type"] != "queued" || intOf(ev["position"]) != i+1 {
			t.Fatalf("run %d: %v", i, ev)
		}
	}
	cancels[1]()
	waitQueue(t, ts.URL, "down to 2 after a disconnect", func(s queueState) bool { return s.Waiting == 2 })
	cancels[0]()
	cancels[2]()
	waitQueue(t, ts.URL, "empty after all disconnected", func(s queueState) bool { return s.Waiting == 0 })
}

// Retry-After on a real refusal follows the measured drain rate: runs of
// ~0.2 s drain about five per second, so thirty in line take about six
// seconds — not the constant 2 s of old, nor the 30 s the initial 1 s guess
// would say.
func TestQueueRetryAfterFollowsDrainRate(t *testing.T) {
	const line = 30
	ts := queueServer(t, line)
	api := ts.URL + "/api/v1/code/execute"
	var took []float64
	for range 10 {
		resp, m := postJSON(t, api, `{"code":"import time\ntime.sleep(0.2)"}`)
		if resp.StatusCode != 200 {
			t.Fatalf("warm-up run: %d %v", resp.StatusCode, m)
		}
		took = append(took, m["execution_time"].(float64))
	}
	mean := 0.0
	for _, d := range took[len(took)-5:] {
		mean += d / 5
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := holdSlot(t, ctx, ts.URL)
	defer release()
	for i := range line {
		cctx, ccancel := context.WithCancel(ctx)
		defer ccancel()
		_, ch := learnerStream(t, cctx, nil, ts.URL, "print(1)")
		if ev := next(t, ch); ev["type"] != "queued" || intOf(ev["position"]) != i+1 {
			t.Fatalf("filling the line, run %d: %v", i, ev)
		}
	}
	resp, m := postJSON(t, api, `{"code":"print('late')"}`)
	if resp.StatusCode != 503 || m["code"] != "busy" {
		t.Fatalf("past the bound: %d %v", resp.StatusCode, m)
	}
	got, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	// The line drains at about one run per run time (one slot).
	want := float64(line) * mean
	if float64(got) < want/2 || float64(got) > math.Ceil(want*2) {
		t.Fatalf("Retry-After %d s; %d waiting at %.3f s a run drain in %.1f s", got, line, mean, want)
	}
	st := readQueue(t, ts.URL)
	if rate := 1 / mean; st.DrainRate < rate/2 || st.DrainRate > rate*2 {
		t.Fatalf("drain rate %.2f/s, runs take %.3f s (%.2f/s)", st.DrainRate, mean, rate)
	}
}
