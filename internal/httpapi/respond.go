package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/validate"
)

// errorBody is every error response: {"error": "...", "code": "..."}.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// rejectedBody is /validate's answer plus the run's status: a rejected run
// looks the same whether the client asked to validate or to run.
type rejectedBody struct {
	validate.Result
	Status string `json:"status"`
	Code   string `json:"code"`
}

var statusOf = map[apperr.Kind]int{
	apperr.Internal:         http.StatusInternalServerError,
	apperr.Invalid:          http.StatusBadRequest,
	apperr.Unauthorized:     http.StatusUnauthorized,
	apperr.Forbidden:        http.StatusForbidden,
	apperr.NotFound:         http.StatusNotFound,
	apperr.Conflict:         http.StatusConflict,
	apperr.TooLarge:         http.StatusRequestEntityTooLarge,
	apperr.Rejected:         http.StatusUnprocessableEntity,
	apperr.RateLimited:      http.StatusTooManyRequests,
	apperr.Busy:             http.StatusServiceUnavailable,
	apperr.MethodNotAllowed: http.StatusMethodNotAllowed,
}

// writeError is the one place errors become HTTP responses. Only internal
// errors are logged, and their details never reach the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var rej *execute.RejectedError
	if errors.As(err, &rej) {
		writeJSON(w, http.StatusUnprocessableEntity, rejectedBody{Result: rej.Result, Status: "rejected", Code: "policy_violation"})
		return
	}
	var e *apperr.Error
	if !errors.As(err, &e) {
		e = &apperr.Error{Kind: apperr.Internal, Code: "internal", Message: "internal error", Err: err}
	}
	status := statusOf[e.Kind]
	msg, code := e.Message, e.Code
	if e.Kind == apperr.Internal {
		s.Logger.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path)
		msg = "internal error (request id " + requestID(r.Context()) + ")"
		if code == "" {
			code = "internal"
		}
	}
	for k, v := range e.Headers {
		w.Header().Set(k, v)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	writeJSON(w, status, errorBody{Error: msg, Code: code})
}

// failure is how a stream's complete event reports an error: the stream
// is already open, so the status code of a JSON answer can't be used.
type failure struct {
	status, code, message string
	retryAfter            time.Duration
}

// streamFailure classifies err for a complete event the way writeError
// does for a response (internal errors logged, their details hidden).
func (s *Server) streamFailure(r *http.Request, err error) failure {
	var rej *execute.RejectedError
	if errors.As(err, &rej) {
		return failure{status: "rejected", code: "policy_violation", message: rej.Error()}
	}
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind == apperr.Internal {
		s.Logger.ErrorContext(r.Context(), "stream run failed", "err", err, "request_id", requestID(r.Context()))
		return failure{status: "error", code: "internal", message: "internal error (request id " + requestID(r.Context()) + ")"}
	}
	f := failure{status: "error", code: e.Code, message: e.Message, retryAfter: e.RetryAfter}
	if e.Code == "cancelled" || e.Code == "replaced" {
		// Stopped while waiting, or replaced by the caller's newer run.
		f.status = "cancelled"
	}
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}

const bodyReadTimeout = 30 * time.Second

// decodeJSON reads one JSON object with a size limit and turns every way it
// can be wrong into a client error that says what is wrong.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return apperr.New(apperr.Invalid, "bad_content_type", "Content-Type must be application/json, not %q", ct)
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
	// A deadline for the body alone: the server has no global read timeout
	// because that would also cut off long-lived streams.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	defer rc.SetReadDeadline(time.Time{})
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, s.MaxBodyBytes)
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.New(apperr.Invalid, "malformed_json", "request body must be a single JSON object")
	}
	return nil
}

func decodeError(err error, limit int64) error {
	var maxErr *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return apperr.New(apperr.TooLarge, "body_too_large", "request body is larger than %d bytes", limit)
	case errors.Is(err, io.EOF):
		return apperr.New(apperr.Invalid, "malformed_json", "request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Invalid, "malformed_json", "request body ends in the middle of the JSON")
	case errors.As(err, &syn):
		return apperr.New(apperr.Invalid, "malformed_json", "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return apperr.New(apperr.Invalid, "malformed_json", "request body must be a JSON object, not %s", typ.Value)
		}
		return apperr.New(apperr.Invalid, "invalid_field", "field %q must be %s, not %s", field, typeName(typ.Type.String()), typ.Value)
	}
	return apperr.New(apperr.Invalid, "malformed_json", "malformed JSON: %s", err.Error())
}

func typeName(t string) string {
	switch {
	case strings.Contains(t, "string"):
		return "a string"
	case strings.Contains(t, "float"), strings.Contains(t, "int"):
		return "a number"
	case strings.Contains(t, "bool"):
		return "true or false"
	}
	return fmt.Sprintf("of type %s", t)
}
