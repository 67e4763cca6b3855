package store

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

var knownStatus = map[string]bool{
	StatusRunning: true, StatusSuccess: true, StatusError: true,
	StatusTimeout: true, StatusMemoryLimit: true, StatusCancelled: true,
	StatusRejected: true, StatusInterrupted: true,
}

// ValidStatus reports whether s is one of the Status constants.
func ValidStatus(s string) bool { return knownStatus[s] }

// PrepareCreate fills defaults, validates and sanitises e in place before an
// insert. Engines call it so that both behave identically.
func PrepareCreate(e *Execution, now time.Time) error {
	if e.ID == "" {
		e.ID = uuid.NewString()
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	if e.Status == "" {
		e.Status = StatusRunning
	}
	if e.UserID == "" {
		return fmt.Errorf("%w: empty user id", ErrInvalid)
	}
	if e.Status != StatusRunning && e.FinishedAt == nil {
		t := now
		e.FinishedAt = &t
	}
	return sanitize(e)
}

// PrepareFinish validates and sanitises e in place before an update.
func PrepareFinish(e *Execution, now time.Time) error {
	if e.ID == "" {
		return fmt.Errorf("%w: empty id", ErrInvalid)
	}
	if e.Status == StatusRunning || e.Status == "" {
		return fmt.Errorf("%w: finishing with status %q", ErrInvalid, e.Status)
	}
	if e.FinishedAt == nil {
		t := now
		e.FinishedAt = &t
	}
	return sanitize(e)
}

func sanitize(e *Execution) error {
	if !ValidStatus(e.Status) {
		return fmt.Errorf("%w: unknown status %q", ErrInvalid, e.Status)
	}
	if e.WallTime < 0 || e.CPUTime < 0 || e.MemoryPeakBytes < 0 {
		return fmt.Errorf("%w: negative measurement", ErrInvalid)
	}
	for name, v := range map[string]string{
		"id": e.ID, "user id": e.UserID, "language": e.Language,
		"environment": e.Environment, "content id": e.ContentID,
		"code block id": e.CodeBlockID,
	} {
		// Unlike code and output these are keys the caller controls, so a bad
		// one is reported instead of being silently rewritten.
		if len(v) > MaxKeyBytes || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("%w: bad %s", ErrInvalid, name)
		}
	}
	if err := checkImages(e.Images); err != nil {
		return err
	}
	if e.CodeSHA256 != "" && !isSHA256Hex(e.CodeSHA256) {
		return fmt.Errorf("%w: code digest is not a lowercase hex SHA-256", ErrInvalid)
	}
	// Both engines keep microseconds; truncating here makes the value the
	// caller holds equal to what a later read returns, and keeps cursors exact.
	e.CreatedAt = e.CreatedAt.UTC().Truncate(time.Microsecond)
	if e.FinishedAt != nil {
		t := e.FinishedAt.UTC().Truncate(time.Microsecond)
		e.FinishedAt = &t
	}
	e.Code = cleanText(e.Code, MaxCodeBytes)
	out := cleanText(e.Output, MaxOutputBytes)
	errOut := cleanText(e.ErrorOutput, MaxOutputBytes)
	if len(out) < len(e.Output) || len(errOut) < len(e.ErrorOutput) {
		e.Truncated = true
	}
	e.Output, e.ErrorOutput = out, errOut
	return nil
}

// cleanText makes s storable everywhere: PostgreSQL text rejects NUL bytes
// and invalid UTF-8, which programs print freely. The cut lands on a rune
// boundary so the stored text stays valid.
func cleanText(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// MaxKeyBytes bounds identifiers and labels such as ids and languages.
const MaxKeyBytes = 256

// PageLimit clamps a requested page size.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultPageLimit
	case n > MaxPageLimit:
		return MaxPageLimit
	}
	return n
}

// Cursor is a decoded keyset position: the last item of the previous page.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// TrimPage takes a page fetched with one row more than limit (which tells
// whether another page follows without a COUNT) and returns the page and
// the cursor of the next one ("" on the last page).
func TrimPage(items []Execution, limit int) ([]Execution, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, EncodeCursor(items[limit-1])
}

// EncodeCursor returns the opaque form of the position after e.
func EncodeCursor(e Execution) string {
	raw := strconv.FormatInt(e.CreatedAt.UnixMicro(), 10) + ":" + e.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor parses a cursor from EncodeCursor. An empty string yields
// ok=false and no error.
func DecodeCursor(s string) (c Cursor, ok bool, err error) {
	if s == "" {
		return Cursor{}, false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, false, ErrInvalidCursor
	}
	ts, id, found := strings.Cut(string(raw), ":")
	if !found || id == "" {
		return Cursor{}, false, ErrInvalidCursor
	}
	us, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return Cursor{}, false, ErrInvalidCursor
	}
	return Cursor{CreatedAt: time.UnixMicro(us).UTC(), ID: id}, true, nil
}
