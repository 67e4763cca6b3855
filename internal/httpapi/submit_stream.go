package httpapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/exercise"
)

// handleSubmitStream grades a submission and streams it as Server-Sent
// Events, as /execute/stream does a run: queued, start, output and error
// (the learner's program), then "tests" (the names about to run), one
// "test" per verdict as it is known, and exactly one complete, always last,
// whose "submission" is what POST /submit answers. A refusal before the run
// queues or starts is an ordinary JSON error.
func (s *Server) handleSubmitStream(w http.ResponseWriter, r *http.Request) {
	var req submitRequest
	who, ok := s.identifyAndDecode(w, r, &req)
	if !ok {
		return
	}
	block, err := s.submission(r, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	q := newEventQueue(cancel)
	stdout := &streamWriter{typ: "output", q: q}
	stderr := &streamWriter{typ: "error", q: q}
	opened := make(chan execute.Outcome, 1)
	var openOnce sync.Once
	open := func(o execute.Outcome) { openOnce.Do(func() { opened <- o }) }
	ev := exercise.Events{Stdout: stdout, Stderr: stderr,
		OnQueued: func(pos int, eta time.Duration) {
			q.pushQueued(event{Type: "queued", Position: ptr(pos), EstimatedWait: ptr(math.Round(eta.Seconds()*10) / 10)})
			open(execute.Outcome{})
		},
		OnStart: func(o execute.Outcome) {
			q.limit(outputBound(o.Limits))
			q.push(event{Type: "start", ID: o.ID, Timestamp: fmt.Sprintf("%.3f", float64(o.StartedAt.UnixMilli())/1000),
				Environment: o.Environment, Language: o.Language, Warnings: o.Warnings})
			open(o)
		},
		OnTests: func(ts []exercise.TestResult) { q.push(event{Type: "tests", Tests: ts}) },
		OnTest:  func(t exercise.TestResult) { q.push(event{Type: "test", Test: &t}) },
	}
	type done struct {
		v   exercise.Verdict
		err error
	}
	finished := make(chan done, 1)
	col := newCollector()
	go func() {
		ev.Stdout, ev.Stderr = teeWriter{stdout, col.stream(0)}, teeWriter{stderr, col.stream(1)}
		v, err := s.Exercises.Submit(ctx, caller(who), req.ContentID, block, req.Code, ev)
		finished <- done{v, err}
	}()
	var first done
	var early bool
	select {
	case o := <-opened:
		setHeaders(w, execute.QuotaHeaders(o.Quota))
	case first = <-finished:
		early = true
	}
	if early && first.err != nil {
		s.writeError(w, r, first.err)
		return
	}
	pumpDone := s.startStream(w, r, q, cancel)
	res := first
	if !early {
		res = <-finished
	}
	stdout.flush()
	stderr.flush()
	if res.err != nil {
		q.push(s.completeEvent(r, res.v.Outcome, res.err))
	} else {
		s.metrics.observe(res.v.Outcome)
		out, errText, _ := col.text()
		sub := s.submitJSON(r, who, req, res.v, out, errText)
		q.push(event{Type: "complete", ID: res.v.ID, Status: sub.Status, ExecutionTime: ptr(sub.ExecutionTime), Submission: &sub})
	}
	q.close()
	<-pumpDone
}

// teeWriter writes to both: the stream and the collector kept for the
// complete event's submission.
type teeWriter struct {
	a, b interface{ Write([]byte) (int, error) }
}

func (t teeWriter) Write(p []byte) (int, error) {
	_, _ = t.a.Write(p)
	return t.b.Write(p)
}
