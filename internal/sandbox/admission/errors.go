package admission

import (
	"errors"
	"fmt"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// ErrReplaced ends a waiting ticket whose user sent a newer one of the same
// class while all of the user's waiting places were taken.
var ErrReplaced = errors.New("admission: replaced by a newer request")

// BusyError refuses a ticket: the line is full or the wait would be (or
// was) too long. It wraps sandbox.ErrBusy.
type BusyError struct {
	Reason     string
	RetryAfter time.Duration // when the backlog seen at refusal should have drained
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("admission: busy (%s); retry after %s", e.Reason, e.RetryAfter.Round(time.Second))
}

func (e *BusyError) Unwrap() error { return sandbox.ErrBusy }
