// Package exercise grades learner code against a block's tests: it runs
// the code with the tests in one sandbox, through the execute service (the
// same admission, quota, policy and limits as any run), reads the
// verdicts the harness reports and records the submission.
//
// Threat model: the learner's code is hostile and runs in the same
// process as the tests (it must, to be tested). It must not be able to
// read the hidden tests, change them, skip them, or forge their verdicts.
// See harness.py for how each is kept, and README "Exercises" for what is
// not covered.
package exercise

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/store"
)

// Runner is the execute service, as this package uses it.
type Runner interface {
	Run(ctx context.Context, who execute.Caller, req execute.Request, rio execute.IO) (execute.Outcome, error)
}

// Recorder keeps submissions (nil: not recorded).
type Recorder interface {
	CreateSubmission(ctx context.Context, s *store.Submission) error
}

// Service grades submissions.
type Service struct {
	run Runner
	rec Recorder
	log *slog.Logger
	pyc compiled
	// python starts the expected-output driver in the sandbox (which
	// binds the host's /usr).
	python string
}

// New returns a service; rec may be nil.
func New(run Runner, rec Recorder, log *slog.Logger) (*Service, error) {
	if run == nil {
		return nil, errors.New("exercise: nil runner")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{run: run, rec: rec, log: log, python: "/usr/bin/python3"}, nil
}

// TestResult is one test's verdict. Message never holds test code: it is
// the assertion's or exception's text only.
type TestResult struct {
	Name    string  `json:"name"`
	Suite   string  `json:"suite"`
	Hidden  bool    `json:"hidden"`
	Passed  bool    `json:"passed"`
	Message string  `json:"message"`
	TimeMS  float64 `json:"time_ms"`
}

// Verdict is a graded submission.
type Verdict struct {
	ID          string
	Status      string // store.Verdict*
	Tests       []TestResult
	Message     string // why the suite could not finish (status error or timeout)
	Outcome     execute.Outcome
	LearnerSeen bool // the harness loaded the learner's code
}

// Passed counts passing tests.
func (v Verdict) Passed() int {
	n := 0
	for _, t := range v.Tests {
		if t.Passed {
			n++
		}
	}
	return n
}

// Events are a submission's live progress, for streaming.
type Events struct {
	Stdout, Stderr io.Writer
	OnStart        func(o execute.Outcome)
	OnQueued       func(position int, eta time.Duration)
	// OnTests hears the tests the suite will run, before the first runs.
	OnTests func([]TestResult)
	// OnTest hears each test's verdict as it is known.
	OnTest func(TestResult)
}

// Submit grades code against block's tests. Errors are those of a run that
// could not start (apperr kinds); a failing submission is a Verdict.
func (s *Service) Submit(ctx context.Context, who execute.Caller, contentID string, block content.Block, code string, ev Events) (Verdict, error) {
	if !block.HasTests() {
		return Verdict{}, apperr.New(apperr.Invalid, "no_tests", "block %q has no tests to submit against", block.ID)
	}
	var pyTests, cases []content.Tests
	for _, t := range block.Tests {
		if t.Kind == content.TestsPython {
			pyTests = append(pyTests, t)
		} else {
			cases = append(cases, t)
		}
	}
	python := block.Language == "python"
	switch {
	case python && len(pyTests) == 0:
		return Verdict{}, apperr.New(apperr.Invalid, "unsupported_tests", "block %q is Python with only expected-output cases; grading those behind the Python policy guard is not built yet: write Python tests", block.ID)
	case python && len(cases) > 0:
		return Verdict{}, apperr.New(apperr.Invalid, "unsupported_tests", "block %q mixes Python tests and expected-output cases; use one kind", block.ID)
	}
	caseByName := map[string]content.Tests{}
	for _, c := range cases {
		caseByName[c.Name] = c
	}
	nonce, err := newNonce()
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{}
	byName := map[string]int{}
	filter := newFrameFilter(nonce, func(f frame) {
		switch f.Event {
		case "start":
			v.Tests = v.Tests[:0]
			for _, t := range f.Tests {
				byName[t.Name] = len(v.Tests)
				v.Tests = append(v.Tests, TestResult{Name: t.Name, Suite: t.Suite, Hidden: t.Hidden, Message: "did not run"})
			}
			v.LearnerSeen = true
			if ev.OnTests != nil {
				ev.OnTests(append([]TestResult(nil), v.Tests...))
			}
		case "test":
			r := TestResult{Name: f.Name, Suite: f.Suite, Hidden: f.Hidden, Passed: f.Passed, Message: f.Message, TimeMS: f.TimeMS}
			if i, ok := byName[f.Name]; ok {
				v.Tests[i] = r
			} else {
				v.Tests = append(v.Tests, r)
			}
			if ev.OnTest != nil {
				ev.OnTest(r)
			}
		case "case":
			c, ok := caseByName[f.Name]
			if !ok {
				return
			}
			passed, msg := judgeCase(c, f.Stdout, f.Cut, f.ExitCode)
			r := TestResult{Name: c.Name, Suite: c.Name, Hidden: c.Hidden, Passed: passed, Message: msg, TimeMS: f.TimeMS}
			if i, ok := byName[f.Name]; ok {
				v.Tests[i] = r
			}
			if ev.OnTest != nil {
				ev.OnTest(r)
			}
		case "end":
			v.Status = "end"
		case "error":
			v.Status, v.Message = store.VerdictError, f.Message
		}
	})
	var h execute.Harness = &pythonHarness{tests: pyTests, filter: filter, pyc: &s.pyc}
	if !python {
		h = &outputHarness{python: s.python, cases: cases, filter: filter}
	}
	stderr := &tail{w: ev.Stderr}
	req := execute.Request{Code: code, Language: block.Language, ContentID: contentID, CodeBlockID: block.ID}
	if block.Timeout > 0 {
		req.Timeout = float64(block.Timeout)
	}
	out, err := s.run.Run(ctx, who, req, execute.IO{Stdout: ev.Stdout, Stderr: stderr, Harness: h,
		OnStart: ev.OnStart, OnQueued: ev.OnQueued})
	filter.Close()
	if err != nil {
		if errors.Is(err, errNoGuard) {
			return Verdict{}, apperr.New(apperr.Conflict, "exercise_needs_guard", "this server's Python policy has no run-time guard, which hidden tests need; ask the operator to use the teaching or strict policy")
		}
		return Verdict{}, err
	}
	v.ID, v.Outcome = out.ID, out
	v.Status, v.Message = judge(v, out, stderr.last())
	s.record(ctx, who, contentID, block.ID, v)
	return v, nil
}

// judge turns what the harness reported and how the run ended into the
// submission's status.
func judge(v Verdict, out execute.Outcome, lastErr string) (string, string) {
	res := out.Result
	switch {
	case v.Status == store.VerdictError:
		return store.VerdictError, v.Message
	case res.Status == sandbox.StatusTimeout:
		return store.VerdictTimeout, execute.FailureMessage(out) + "; the tests did not finish"
	case res.Status == execute.StatusRejected:
		return store.VerdictError, lastErr
	case v.Status != "end":
		msg := "your program ended before the tests finished"
		if f := execute.FailureMessage(out); f != "" && res.Status != sandbox.StatusSuccess {
			msg += " (" + f + ")"
		}
		return store.VerdictError, msg
	case len(v.Tests) == 0:
		return store.VerdictError, "the exercise's tests define no tests; tell the author"
	case v.Passed() == len(v.Tests):
		return store.VerdictPassed, ""
	}
	return store.VerdictFailed, ""
}

func (s *Service) record(ctx context.Context, who execute.Caller, contentID, blockID string, v Verdict) {
	if s.rec == nil {
		return
	}
	sub := &store.Submission{ID: v.ID, UserID: who.UserID, ContentID: contentID, CodeBlockID: blockID,
		Status: v.Status, Passed: v.Passed(), Total: len(v.Tests), CreatedAt: v.Outcome.StartedAt}
	for _, t := range v.Tests {
		if !t.Passed && len(sub.FailedTests) < store.MaxFailedTests {
			sub.FailedTests = append(sub.FailedTests, t.Name)
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.rec.CreateSubmission(ctx, sub); err != nil {
		s.log.ErrorContext(ctx, "recording submission", "id", v.ID, "err", err)
	}
}

func newNonce() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
