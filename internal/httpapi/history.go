package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/store"
)

type executionJSON struct {
	ID              string  `json:"id"`
	Language        string  `json:"language"`
	Environment     string  `json:"environment"`
	Status          string  `json:"status"`
	ExitCode        *int    `json:"exit_code"`
	ExecutionTime   float64 `json:"execution_time"`
	CPUTime         float64 `json:"cpu_time"`
	MemoryPeakBytes int64   `json:"memory_peak_bytes"`
	Truncated       bool    `json:"truncated"`
	Code            string  `json:"code"`
	CodeSHA256      string  `json:"code_sha256,omitempty"` // set when code may be only a prefix (rejected runs)
	Output          string  `json:"output"`
	Error           *string `json:"error"`
	ContentID       string  `json:"content_id,omitempty"`
	CodeBlockID     string  `json:"code_block_id,omitempty"`
	CreatedAt       string  `json:"created_at"`
	FinishedAt      *string `json:"finished_at"`
	// Images are in single executions only (GET .../executions/{id}).
	Images []imageJSON `json:"images,omitempty"`
}

// formatTime is how every timestamp leaves the API: RFC 3339 in UTC, with
// the store's microsecond precision.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func toExecutionJSON(e store.Execution) executionJSON {
	j := executionJSON{
		ID: e.ID, Language: e.Language, Environment: e.Environment, Status: e.Status, ExitCode: e.ExitCode,
		ExecutionTime: e.WallTime.Seconds(), CPUTime: e.CPUTime.Seconds(), MemoryPeakBytes: e.MemoryPeakBytes,
		Truncated: e.Truncated, Code: e.Code, CodeSHA256: e.CodeSHA256, Output: e.Output, ContentID: e.ContentID, CodeBlockID: e.CodeBlockID,
		CreatedAt: formatTime(e.CreatedAt), Images: storedImages(e.Images),
	}
	if e.ErrorOutput != "" {
		j.Error = &e.ErrorOutput
	}
	if e.FinishedAt != nil {
		f := formatTime(*e.FinishedAt)
		j.FinishedAt = &f
	}
	return j
}

func (s *Server) storeError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apperr.New(apperr.NotFound, "execution_not_found", "no such execution")
	case errors.Is(err, store.ErrInvalidCursor):
		return apperr.New(apperr.Invalid, "invalid_cursor", "the before cursor is not one this server returned")
	case errors.Is(err, store.ErrInvalid):
		return apperr.New(apperr.Invalid, "invalid_execution", "%s", err.Error())
	}
	return err
}

// handleListExecutions returns the caller's own runs, newest first.
func (s *Server) handleListExecutions(w http.ResponseWriter, r *http.Request) {
	who, err := s.identify(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit := store.DefaultPageLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageLimit {
			s.writeError(w, r, apperr.New(apperr.Invalid, "invalid_limit", "limit must be a whole number from 1 to %d", store.MaxPageLimit))
			return
		}
		limit = n
	}
	items, next, err := s.Store.ListExecutions(r.Context(), who.UserID, store.Page{Limit: limit, Before: r.URL.Query().Get("before")})
	if err != nil {
		s.writeError(w, r, s.storeError(err))
		return
	}
	out := make([]executionJSON, 0, len(items))
	for _, e := range items {
		out = append(out, toExecutionJSON(e))
	}
	var nextPtr *string
	if next != "" {
		nextPtr = &next
	}
	writeJSON(w, http.StatusOK, map[string]any{"executions": out, "next_cursor": nextPtr})
}

func (s *Server) handleGetExecution(w http.ResponseWriter, r *http.Request) {
	who, err := s.identify(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.Store.GetExecution(r.Context(), who.UserID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, s.storeError(err))
		return
	}
	writeJSON(w, http.StatusOK, toExecutionJSON(e))
}

// reportRequest is a run the browser did itself (Pyodide, wasm), reported so it
// counts in history and stats. It is not rate-limited: the server did no work.
type reportRequest struct {
	Code          string  `json:"code"`
	Language      string  `json:"language"`
	Environment   string  `json:"environment"`
	Status        string  `json:"status"`
	Output        string  `json:"output"`
	Error         *string `json:"error"`
	ExecutionTime float64 `json:"execution_time"`
	ExitCode      *int    `json:"exit_code"`
	Truncated     bool    `json:"truncated"`
	ContentID     string  `json:"content_id"`
	CodeBlockID   string  `json:"code_block_id"`
}

var reportableStatus = map[string]bool{"success": true, "error": true, "timeout": true, "memory_limit": true, "cancelled": true}

func (s *Server) handleReportExecution(w http.ResponseWriter, r *http.Request) {
	var req reportRequest
	who, ok := s.identifyAndDecode(w, r, &req)
	if !ok {
		return
	}
	var err error
	lang := "python"
	switch {
	case req.Environment == "wasm":
		// A wasm run in the browser: the server compiled it (counted then),
		// the learner's browser ran it.
		lang = strings.ToLower(req.Language)
		if lang != "c" && lang != "c++" && lang != "rust" {
			err = apperr.New(apperr.Invalid, "unknown_language", "wasm runs c, c++ or rust, not %q", req.Language)
		}
	case req.Environment != "pyodide":
		err = apperr.New(apperr.Invalid, "invalid_environment", "only browser runs (environment \"pyodide\" or \"wasm\") are reported; server runs are recorded by the server")
	// Case-insensitive like /execute's language, which accepts "Python".
	case req.Language != "" && !strings.EqualFold(req.Language, "python"):
		err = apperr.New(apperr.Invalid, "unknown_language", "pyodide runs python, not %q", req.Language)
	}
	switch {
	case err != nil:
	case !reportableStatus[req.Status]:
		err = apperr.New(apperr.Invalid, "invalid_status", "status must be success, error, timeout, memory_limit or cancelled")
	case req.ExecutionTime < 0 || req.ExecutionTime > 3600:
		err = apperr.New(apperr.Invalid, "invalid_execution_time", "execution_time must be between 0 and 3600 seconds")
	case len(req.Code) > store.MaxCodeBytes:
		err = apperr.New(apperr.TooLarge, "code_too_large", "code is over %d bytes", store.MaxCodeBytes)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	quota, err := s.Exec.AllowReport(r.Context(), caller(who))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := time.Now()
	e := store.Execution{
		UserID: who.UserID, Language: lang, Environment: req.Environment, Status: req.Status, ExitCode: req.ExitCode,
		WallTime: time.Duration(req.ExecutionTime * float64(time.Second)), Truncated: req.Truncated,
		Code: req.Code, Output: req.Output, ContentID: req.ContentID, CodeBlockID: req.CodeBlockID,
		CreatedAt: now.Add(-time.Duration(req.ExecutionTime * float64(time.Second))), FinishedAt: &now,
	}
	if req.Error != nil {
		e.ErrorOutput = *req.Error
	}
	if err := s.Store.CreateExecution(r.Context(), &e); err != nil {
		s.writeError(w, r, s.storeError(err))
		return
	}
	setHeaders(w, execute.QuotaHeaders(quota))
	writeJSON(w, http.StatusCreated, toExecutionJSON(e))
}
