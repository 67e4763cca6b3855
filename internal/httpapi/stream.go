package httpapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/execute"
)

// handleStream runs code and streams its output as Server-Sent Events while
// it runs: queued (the run's place while it waits for a sandbox), start,
// output/error chunks as the program writes them, and exactly one complete,
// always last. A refusal before the run queues or starts is an ordinary
// JSON error; once it has queued, the stream is open and every later end
// (started or not) is a complete event.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	var req execute.Request
	who, ok := s.identifyAndDecode(w, r, &req)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	q := newEventQueue(cancel)
	stdout := &streamWriter{typ: "output", q: q}
	stderr := &streamWriter{typ: "error", q: q}
	// The id is known before the run queues so that the queued events carry
	// it and Stop (POST /executions/{id}/cancel) reaches a waiting run.
	id := execute.NewID()
	queued := make(chan struct{})
	var queuedOnce sync.Once
	rio := execute.IO{ID: id, Stdout: stdout, Stderr: stderr,
		// Figures come from the sandbox's stdout reader, in order with it.
		Images: func(im execute.Image) { q.push(imageEvent(im)) },
		// Both callbacks run on the run's goroutine, in order, before the
		// program starts: queued events always precede start, and start
		// precedes any output.
		OnQueued: func(pos int, eta time.Duration) {
			q.pushQueued(event{Type: "queued", ID: id, Position: ptr(pos), EstimatedWait: ptr(math.Round(eta.Seconds()*10) / 10)})
			queuedOnce.Do(func() { close(queued) })
		},
		OnStart: func(o execute.Outcome) {
			q.limit(outputBound(o.Limits))
			q.push(event{Type: "start", ID: o.ID, Timestamp: fmt.Sprintf("%.3f", float64(o.StartedAt.UnixMilli())/1000),
				Environment: o.Environment, Language: o.Language, Warnings: o.Warnings})
		},
	}
	run := s.Exec.Start(ctx, caller(who), req, rio, true)
	select {
	case <-run.Started():
	case <-queued:
	}
	waited := false
	select {
	case <-queued:
		waited = true
	default:
	}
	if !waited {
		start, ok := run.StartInfo()
		if !ok {
			// Refused before it queued or started: an ordinary JSON error.
			_, err := run.Wait()
			s.writeError(w, r, err)
			return
		}
		setHeaders(w, execute.QuotaHeaders(start.Quota))
	}

	pumpDone := s.startStream(w, r, q, run.Cancel)
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	out, err := run.Wait()
	if err == nil {
		s.metrics.observe(out)
	}
	if out.ID == "" {
		out.ID = id
	}
	stdout.flush()
	stderr.flush()
	q.push(s.completeEvent(r, out, err))
	q.close()
	<-pumpDone
}

func (s *Server) completeEvent(r *http.Request, o execute.Outcome, err error) event {
	if err != nil {
		f := s.streamFailure(r, err)
		ev := event{Type: "complete", ID: o.ID, Status: f.status, Error: &f.message, Code: f.code, ExecutionTime: ptr(0.0), Truncated: ptr(false)}
		if f.retryAfter > 0 {
			ev.RetryAfter = ptr(int(math.Ceil(f.retryAfter.Seconds())))
		}
		return ev
	}
	res := o.Result
	ev := event{
		Type: "complete", ID: o.ID, Status: string(res.Status),
		ExecutionTime: ptr(res.WallTime.Seconds()), Truncated: ptr(res.Truncated),
		CPUTime: ptr(res.CPUTime.Seconds()), MemoryPeakBytes: ptr(res.MemoryPeak),
		Stage: string(res.Stage), Warnings: o.Warnings, Environment: o.Environment, Language: o.Language,
		ImagesDropped: res.ImagesDropped,
	}
	if res.ExitCode >= 0 {
		ev.ExitCode = ptr(res.ExitCode)
	}
	if msg := execute.FailureMessage(o); msg != "" {
		ev.Error = &msg
	}
	return ev
}

func ptr[T any](v T) *T { return &v }
