package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/sandbox"
)

// handleStream runs code and streams its output as Server-Sent Events while
// it runs: start, output/error chunks as the program writes them, and
// exactly one complete, always last.
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
	run := s.Exec.Start(ctx, caller(who), req, execute.IO{Stdout: stdout, Stderr: stderr, OnStart: func(o execute.Outcome) {
		q.limit(outputBound(o.Limits))
	}}, true)
	<-run.Started()
	start, ok := run.StartInfo()
	if !ok {
		// Refused before a sandbox was assigned: an ordinary JSON error.
		_, err := run.Wait()
		s.writeError(w, r, err)
		return
	}

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	setHeaders(w, execute.QuotaHeaders(start.Quota))
	w.WriteHeader(http.StatusOK)
	q.push(event{Type: "start", ID: start.ID, Timestamp: fmt.Sprintf("%.3f", float64(start.StartedAt.UnixMilli())/1000),
		Environment: start.Environment, Language: start.Language, Warnings: start.Warnings})

	pumpDone := make(chan struct{})
	go func() {
		defer close(pumpDone)
		pump(w, rc, q, r.Context().Done(), s.StreamWriteTimeout)
		// A client that went away, stopped reading or fell too far behind
		// has no use for the rest of the run.
		run.Cancel()
	}()
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	out, err := run.Wait()
	if err == nil {
		s.metrics.observe(out)
	}
	stdout.flush()
	stderr.flush()
	q.push(s.completeEvent(r, out, err))
	q.close()
	<-pumpDone
}

func (s *Server) completeEvent(r *http.Request, o execute.Outcome, err error) event {
	if err != nil {
		if apperr.KindOf(err) == apperr.Internal {
			s.Logger.ErrorContext(r.Context(), "stream run failed", "err", err, "request_id", requestID(r.Context()))
		}
		msg := "internal error (request id " + requestID(r.Context()) + ")"
		zero, f := 0.0, false
		return event{Type: "complete", ID: o.ID, Status: string(sandbox.StatusError), Error: &msg, ExecutionTime: &zero, Truncated: &f}
	}
	res := o.Result
	ev := event{
		Type: "complete", ID: o.ID, Status: string(res.Status),
		ExecutionTime: ptr(res.WallTime.Seconds()), Truncated: ptr(res.Truncated),
		CPUTime: ptr(res.CPUTime.Seconds()), MemoryPeakBytes: ptr(res.MemoryPeak),
		Stage: string(res.Stage), Warnings: o.Warnings, Environment: o.Environment, Language: o.Language,
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
