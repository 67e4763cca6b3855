// Package apperr carries the kind of a failure from the use cases to the
// HTTP layer, which maps kinds to statuses in one place. "The learner's code
// failed" is not an error at all (it is a result); these are for requests
// that can't be served and for the system failing.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for clients.
type Kind int

const (
	Internal         Kind = iota // the system failed; logged, details hidden
	Invalid                      // malformed or out-of-range request (400)
	Unauthorized                 // missing or bad credentials (401)
	Forbidden                    // known caller, not allowed (403)
	NotFound                     // (404) also for other users' resources
	Conflict                     // state doesn't allow it (409)
	TooLarge                     // body or field over a size limit (413)
	Rejected                     // policy refused the code (422)
	RateLimited                  // per-user quota used up (429)
	Busy                         // no capacity now (503)
	MethodNotAllowed             // (405)
)

// Error is a classified error. Code is a stable machine-readable string.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	RetryAfter time.Duration     // for RateLimited and Busy
	Headers    map[string]string // extra response headers (e.g. RateLimit-*)
	Err        error             // cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New makes a classified error with a formatted message.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err; unclassified errors are Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}
