package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"sync"

	"github.com/runblock/runblock/internal/execute"
)

// executeResponse keeps the seed's fields first; later fields are additions.
type executeResponse struct {
	Output          string   `json:"output"`
	Error           *string  `json:"error"`
	ExecutionTime   float64  `json:"execution_time"`
	Status          string   `json:"status"`
	Environment     string   `json:"environment"`
	Truncated       bool     `json:"truncated"`
	ID              string   `json:"id"`
	ExitCode        *int     `json:"exit_code"`
	Language        string   `json:"language"`
	CPUTime         float64  `json:"cpu_time"`
	MemoryPeakBytes int64    `json:"memory_peak_bytes"`
	Warnings        []string `json:"warnings"`
	Stage           string   `json:"stage,omitempty"`
	Signal          string   `json:"signal,omitempty"`
}

func (s *Server) handleExecute(w http.ResponseWriter, r *http.Request) {
	var req execute.Request
	who, ok := s.identifyAndDecode(w, r, &req)
	if !ok {
		return
	}
	var stdout, stderr lockedBuffer
	// The request context ends when the client goes away, which cancels the
	// run; the registry lets the owner cancel it from another request too.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	unregister := func() {}
	out, err := s.Exec.Run(ctx, caller(who), req, execute.IO{Stdout: &stdout, Stderr: &stderr, OnStart: func(o execute.Outcome) {
		unregister = s.Registry.Add(execute.NewLive(o.ID, who.UserID, nil, cancel))
	}})
	unregister()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.observe(out)
	setHeaders(w, execute.QuotaHeaders(out.Quota))
	writeJSON(w, http.StatusOK, newExecuteResponse(out, stdout.String(), stderr.String()))
}

func newExecuteResponse(o execute.Outcome, stdout, stderr string) executeResponse {
	res := o.Result
	resp := executeResponse{
		Output:          stdout,
		ExecutionTime:   res.WallTime.Seconds(),
		Status:          string(res.Status),
		Environment:     o.Environment,
		Truncated:       res.Truncated,
		ID:              o.ID,
		Language:        o.Language,
		CPUTime:         res.CPUTime.Seconds(),
		MemoryPeakBytes: res.MemoryPeak,
		Warnings:        o.Warnings,
		Stage:           string(res.Stage),
		Signal:          res.Signal,
	}
	if resp.Warnings == nil {
		resp.Warnings = []string{}
	}
	if res.ExitCode >= 0 {
		code := res.ExitCode
		resp.ExitCode = &code
	}
	if msg := execute.ErrorText(o, stderr); msg != "" {
		resp.Error = &msg
	}
	return resp
}

// lockedBuffer collects output written by the sandbox's reader goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func setHeaders(w http.ResponseWriter, h map[string]string) {
	for k, v := range h {
		w.Header().Set(k, v)
	}
}
