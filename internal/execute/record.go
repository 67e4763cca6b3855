package execute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/store"
)

// Recorder keeps the history of runs.
type Recorder interface {
	CreateExecution(ctx context.Context, e *store.Execution) error
	FinishExecution(ctx context.Context, e *store.Execution) error
}

// WithRecorder records every admitted run: a "running" row when it starts,
// its outcome before the caller is answered (so a crash can't lose a run
// whose result a client saw).
func (s *Service) WithRecorder(r Recorder) *Service { s.rec = r; return s }

// recordCap is how much output history keeps per stream.
const recordCap = store.MaxOutputBytes

type recording struct {
	e              store.Execution
	limits         sandbox.Limits // for the failure note (e.g. the timeout)
	stdout, stderr capBuffer
	images         []store.Image // the first that fit history's caps
}

func (s *Service) startRecording(ctx context.Context, who Caller, p Prepared, o Outcome) *recording {
	if s.rec == nil {
		return nil
	}
	r := &recording{e: store.Execution{
		ID: o.ID, UserID: who.UserID, Language: p.Language, Environment: p.Environment,
		Status: store.StatusRunning, Code: p.Code, ContentID: p.ContentID, CodeBlockID: p.CodeBlockID,
		CreatedAt: o.StartedAt,
	}, limits: p.Limits}
	r.stdout.max, r.stderr.max = recordCap, recordCap
	if err := s.rec.CreateExecution(context.WithoutCancel(ctx), &r.e); err != nil {
		s.log.ErrorContext(ctx, "recording run start", "id", o.ID, "err", err)
	}
	return r
}

// tee sends output to both the caller and the recording.
func (r *recording) tee(w io.Writer, buf *capBuffer) io.Writer {
	if r == nil {
		return w
	}
	if w == nil {
		return buf
	}
	return io.MultiWriter(w, buf)
}

// finish runs even when the client has gone: history must not depend on it.
func (s *Service) finishRecording(ctx context.Context, r *recording, res sandbox.Result, status string) {
	if r == nil {
		return
	}
	e := &r.e
	e.Status = status
	if res.ExitCode >= 0 && status != store.StatusRejected {
		code := res.ExitCode
		e.ExitCode = &code
	}
	e.WallTime, e.CPUTime, e.MemoryPeakBytes = res.WallTime, res.CPUTime, res.MemoryPeak
	e.Truncated = res.Truncated || r.stdout.cut || r.stderr.cut
	// History keeps the error text the client was shown, not only stderr:
	// a timed-out or killed run would otherwise read as a silent one.
	e.Output = r.stdout.String()
	e.Images = r.images
	e.ErrorOutput = ErrorText(Outcome{Result: res, Limits: r.limits}, r.stderr.String())
	now := s.now()
	e.FinishedAt = &now
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.rec.FinishExecution(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "recording run outcome", "id", e.ID, "err", err)
	}
}

// ErrorText is a run's "error" as clients see it: what the program wrote to
// stderr, followed by what ended the run when the program did not end on its
// own (or wrote nothing about why it failed). Empty when there is neither.
func ErrorText(o Outcome, stderr string) string {
	msg := stderr
	if st := o.Result.Status; st != sandbox.StatusSuccess && st != sandbox.StatusError || msg == "" {
		if f := FailureMessage(o); f != "" {
			if msg != "" {
				msg += "\n"
			}
			msg += f
		}
	}
	return msg
}

// rejectedCodePrefix is how much of a rejected run's code history keeps:
// enough to show the learner what was refused, while a flood of large
// rejected submissions can't grow the database by their full size.
const rejectedCodePrefix = 1 << 10

// recordRejected keeps a policy rejection in history (it never ran): a
// prefix of its code and the SHA-256 of the whole.
func (s *Service) recordRejected(ctx context.Context, who Caller, p Prepared, why string) {
	if s.rec == nil {
		return
	}
	now := s.now()
	sum := sha256.Sum256([]byte(p.Code))
	e := &store.Execution{ID: NewID(), UserID: who.UserID, Language: p.Language, Environment: p.Environment,
		Status: store.StatusRejected, Code: codePrefix(p.Code, rejectedCodePrefix), CodeSHA256: hex.EncodeToString(sum[:]),
		ContentID: p.ContentID, CodeBlockID: p.CodeBlockID, ErrorOutput: why, CreatedAt: now, FinishedAt: &now}
	if err := s.rec.CreateExecution(context.WithoutCancel(ctx), e); err != nil {
		s.log.ErrorContext(ctx, "recording rejected run", "err", err)
	}
}

// codePrefix cuts code to at most max bytes on a character boundary.
func codePrefix(code string, max int) string {
	if len(code) <= max {
		return code
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(code[cut]) {
		cut--
	}
	return code[:cut]
}

// capBuffer keeps the first max bytes, cut on a character boundary.
type capBuffer struct {
	mu  sync.Mutex
	b   []byte
	max int
	cut bool
}

func (c *capBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := c.max - len(c.b)
	if room >= len(p) {
		c.b = append(c.b, p...)
		return len(p), nil
	}
	if room > 0 {
		c.b = append(c.b, p[:room]...)
	}
	c.cut = true
	return len(p), nil
}

func (c *capBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.b
	for len(b) > 0 && !utf8.Valid(b[max(0, len(b)-4):]) {
		b = b[:len(b)-1]
	}
	return string(b)
}
