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
	var input *execute.InputQueue
	if req.Stdin == nil {
		input = execute.NewInputQueue(s.Exec.MaxStdinBytes())
	}
	started := make(chan execute.Outcome, 1)
	var unregister func()
	finished := make(chan runEnd, 1)
	go func() {
		rio := execute.IO{Stdout: stdout, Stderr: stderr, Images: func(im execute.Image) { q.push(imageEvent(im)) }, OnStart: func(o execute.Outcome) {
			q.limit(outputBound(o.Limits))
			unregister = s.Registry.Add(execute.NewLive(o.ID, who.UserID, input, cancel))
			started <- o
		}}
		if input != nil {
			rio.Stdin = input
		}
		out, err := s.Exec.Run(ctx, caller(who), req, rio)
		if input != nil {
			input.Close() // unblocks the sandbox's stdin pump
		}
		finished <- runEnd{out, err}
	}()

	start, err := awaitStart(started, finished)
	if err != nil {
		// Refused before a sandbox was assigned: an ordinary JSON error.
		s.writeError(w, r, err)
		return
	}
	defer func() { unregister() }()

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
		cancel()
	}()
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	d := <-finished
	if d.err == nil {
		s.metrics.observe(d.out)
	}
	stdout.flush()
	stderr.flush()
	q.push(s.completeEvent(r, d.out, d.err))
	q.close()
	<-pumpDone
}

// runEnd is what Exec.Run returned.
type runEnd struct {
	out execute.Outcome
	err error
}

// awaitStart waits until the run starts or ends without starting. A fast run
// can have both ready by the time we look, and select picks at random: a
// ready start must win, or a successful run is answered as a refusal and
// never unregistered. The end taken in that case is put back for the caller.
func awaitStart(started <-chan execute.Outcome, finished chan runEnd) (execute.Outcome, error) {
	select {
	case o := <-started:
		return o, nil
	case d := <-finished:
		select {
		case o := <-started:
			finished <- d
			return o, nil
		default:
			return execute.Outcome{}, d.err
		}
	}
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
