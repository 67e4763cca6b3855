package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"unicode/utf8"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/sandbox"
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
	// Images are the run's figures (Python's matplotlib), each placed
	// after_output_chars into output.
	Images        []imageJSON `json:"images,omitempty"`
	ImagesDropped int         `json:"images_dropped,omitempty"`
}

func (s *Server) handleExecute(w http.ResponseWriter, r *http.Request) {
	var req execute.Request
	who, ok := s.identifyAndDecode(w, r, &req)
	if !ok {
		return
	}
	col := newCollector()
	var imgs imageList
	// The request context ends when the client goes away, which cancels the
	// run; the run's handle is registered so the owner can stop it from
	// another request too.
	run := s.Exec.Start(r.Context(), caller(who), req, execute.IO{Stdout: col.stream(0), Stderr: col.stream(1), Images: imgs.add, OnStart: func(o execute.Outcome) {
		col.limit(outputBound(o.Limits))
	}}, false)
	out, err := run.Wait()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.observe(out)
	setHeaders(w, execute.QuotaHeaders(out.Quota))
	stdout, stderr, cut := col.text()
	out.Result.Truncated = out.Result.Truncated || cut
	resp := newExecuteResponse(out, stdout, stderr)
	resp.Images, resp.ImagesDropped = imgs.get(), out.Result.ImagesDropped
	writeJSON(w, http.StatusOK, resp)
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

// outputBound is how many bytes of output a run with limits l can pass on:
// the output cap passes at most utf8.UTFMax bytes per character. It bounds
// what a handler holds for a client whatever the runtime does; when the cap
// is left to the runtime's default it is a fixed, generous bound.
func outputBound(l sandbox.Limits) int {
	const slack = 4 << 10 // an incomplete sequence per stream, as U+FFFDs
	if l.OutputChars <= 0 || l.OutputChars > (1<<30)/utf8.UTFMax {
		return 1 << 20
	}
	return l.OutputChars*utf8.UTFMax + slack
}

// collector gathers a run's stdout and stderr for one JSON answer, within
// a byte budget shared by both (as the output cap is).
type collector struct {
	mu   sync.Mutex
	left int
	cut  bool
	bufs [2]bytes.Buffer
}

// newCollector starts with the fixed bound; limit sets the run's own once it
// is known (before the program starts).
func newCollector() *collector { return &collector{left: outputBound(sandbox.Limits{})} }

func (c *collector) limit(n int) {
	c.mu.Lock()
	c.left = n
	c.mu.Unlock()
}

func (c *collector) stream(i int) io.Writer { return collectorStream{c, i} }

// text returns stdout and stderr as valid UTF-8 (one U+FFFD per invalid
// byte, as the output cap counts them) and whether the budget cut anything.
func (c *collector) text() (stdout, stderr string, cut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(validUTF8(c.bufs[0].Bytes())), string(validUTF8(c.bufs[1].Bytes())), c.cut
}

type collectorStream struct {
	c *collector
	i int
}

func (s collectorStream) Write(p []byte) (int, error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := p
	if len(keep) > c.left {
		keep, c.cut = keep[:c.left], true
	}
	c.left -= len(keep)
	c.bufs[s.i].Write(keep)
	return len(p), nil
}

func setHeaders(w http.ResponseWriter, h map[string]string) {
	for k, v := range h {
		w.Header().Set(k, v)
	}
}
