package execute

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/validate"
)

// StatusRejected is a run the policy's run-time guard stopped. The store
// already knows it (a run refused before it started has it too).
const StatusRejected sandbox.Status = "rejected"

// guardSource is implemented by validators that can enforce their policy
// at run time (validate.Validator); fakes without it run unguarded.
type guardSource interface {
	Guard(policy string) (name string, content []byte, err error)
}

// runSandbox runs req, behind the policy's run-time guard when the run is
// Python under a policy that denies something: the guard goes into /box
// next to main.py and starts it. A run the guard stopped ends with its
// exit code and its line on stderr, and becomes StatusRejected.
func (s *Service) runSandbox(ctx context.Context, p Prepared, h Harness, req sandbox.Request) (sandbox.Result, error) {
	name, script, err := s.guard(p)
	if err != nil {
		return sandbox.Result{}, err
	}
	if h != nil {
		// A test harness starts the program itself, behind the guard it
		// is given (it must read the tests before the guard is on).
		var g *sandbox.File
		if name != "" {
			g = &sandbox.File{Name: name, Content: script}
		}
		if req, err = h.Wrap(req, g); err != nil {
			return sandbox.Result{}, err
		}
	}
	rt := s.rt
	if p.runtime != nil {
		rt = p.runtime
	}
	guard := name != ""
	if h == nil && !guard {
		name, script = s.starter(p)
	}
	if name == "" {
		return rt.Run(ctx, req)
	}
	if h == nil {
		if req, err = guarded(req, name, script); err != nil {
			return sandbox.Result{}, err
		}
	}
	if !guard {
		return rt.Run(ctx, req)
	}
	tail := &stderrTail{w: req.Stderr}
	req.Stderr = tail
	res, err := rt.Run(ctx, req)
	if err == nil && res.Status == sandbox.StatusError && res.Stage != sandbox.StageCompile &&
		res.ExitCode == validate.GuardExitCode && tail.refused() {
		// Like a run refused before it started, a rejected run has no
		// exit code of its own: 97 is the guard's, not the program's.
		res.Status, res.ExitCode = StatusRejected, -1
	}
	return res, err
}

// guarded puts the guard (name, script) into /box and in front of the
// program's file in its run command.
func guarded(req sandbox.Request, name string, script []byte) (sandbox.Request, error) {
	i := slices.Index(req.Language.Run, req.Language.FileName)
	if i < 0 {
		// Fail closed: running main.py unguarded would drop the policy.
		return req, apperr.New(apperr.Internal, "guard_unusable", "python's run command does not name %s; the policy guard cannot start it", req.Language.FileName)
	}
	lang := req.Language
	wrap := []string{name}
	if !slices.Contains(lang.Run[:i], "-S") {
		// The guard does site's work itself, for less (see guard.py's _site).
		wrap = []string{"-S", name}
	}
	lang.Run = slices.Insert(slices.Clone(lang.Run), i, wrap...)
	req.Language = lang
	req.Files = append(slices.Clone(req.Files), sandbox.File{Name: name, Content: script})
	return req, nil
}

// Prewarm asks a runtime with warm pools (the front door) to start the
// pool of plain Python runs now, as a run would at its first use, so that
// the first learners after a start don't all start cold.
func (s *Service) Prewarm() error {
	pw, ok := s.rt.(interface{ Prewarm(sandbox.Request) bool })
	if !ok {
		return nil
	}
	p, err := s.prepare(Request{Code: "pass", Language: "python"})
	if err != nil {
		return err
	}
	name, script, err := s.guard(p)
	if err != nil {
		return err
	}
	if name == "" {
		name, script = s.starter(p)
	}
	req := sandbox.Request{Language: p.Lang, Files: []sandbox.File{{}}, Limits: p.Limits}
	if s.figures(p, IO{}, nil) != nil {
		req.Images = func(sandbox.Image) {} // a run's sink; only that it is set counts
	}
	if name != "" {
		if req, err = guarded(req, name, script); err != nil {
			return err
		}
	}
	pw.Prewarm(req)
	return nil
}

func (s *Service) guard(p Prepared) (string, []byte, error) {
	// Container environments have no policy (see policyRequest).
	if p.Language != "python" || p.runtime != nil {
		return "", nil, nil
	}
	g, ok := s.val.(guardSource)
	if !ok {
		return "", nil, nil
	}
	name, script, err := g.Guard(s.policy)
	if err != nil {
		return "", nil, ValidationError(err)
	}
	return name, script, nil
}

// StarterSource is implemented by validators that have the policy-less
// start script (validate.Validator); fakes without it start main.py as is.
type StarterSource interface {
	Starter() (name string, content []byte)
}

// starter is the script that starts a Python run whose policy needs no
// guard, so that every Python run starts the same way (with -S: see
// guarded); none for other languages and containers.
func (s *Service) starter(p Prepared) (string, []byte) {
	if p.Language != "python" || p.runtime != nil || s.start == nil {
		return "", nil
	}
	return s.start.Starter()
}

// Harness runs a program under tests (see internal/exercise): it takes the
// run's sandbox request and the policy guard (nil when the policy needs
// none) and returns the request that starts the harness instead.
type Harness interface {
	Wrap(req sandbox.Request, guard *sandbox.File) (sandbox.Request, error)
}

// stderrTail passes stderr on and keeps its last line, where the guard
// writes why it stopped the program.
type stderrTail struct {
	w    io.Writer
	mu   sync.Mutex
	last []byte
}

// maxGuardLine bounds what is kept: the guard's lines are short.
const maxGuardLine = 4096

func (t *stderrTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.last = append(t.last, p...)
	if len(t.last) > 2*maxGuardLine {
		t.last = append(t.last[:0], t.last[len(t.last)-maxGuardLine:]...)
	}
	t.mu.Unlock()
	if t.w == nil {
		return len(p), nil
	}
	return t.w.Write(p)
}

// refused reports whether stderr ends with the guard's line. A program
// can print such a line and exit with the guard's code itself; it then
// reports its own run as rejected, which harms no one else.
func (t *stderrTail) refused() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := bytes.TrimSuffix(t.last, []byte("\n"))
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return strings.HasPrefix(string(b), validate.GuardLinePrefix)
}
