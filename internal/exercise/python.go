package exercise

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/pycompile"
	"github.com/runblock/runblock/internal/sandbox"
)

// The Python harness: see harness.py for the order of its steps and what
// each one keeps from the learner's code.
//
//go:embed harness.py
var harnessSource []byte

const (
	harnessFile  = "runblock_exercise.pyc"
	solutionFile = "solution.py"
	// harnessName is the file name compiled into the harness's code: the
	// policy guard trusts code from /opt/runblock/ (runblock's own modules)
	// as it trusts the standard library.
	harnessName = "/opt/runblock/runblock_exercise.py"
)

// pythonHarness wraps a Python run: the learner's code becomes
// solution.py, the harness is the program, and the tests arrive on stdin.
type pythonHarness struct {
	tests  []content.Tests
	filter *frameFilter
	pyc    *compiled
}

func (h *pythonHarness) Wrap(req sandbox.Request, guard *sandbox.File) (sandbox.Request, error) {
	if guard == nil {
		// Without the audit hook the learner's code could read the tests
		// out of the harness's memory (gc, frames, /proc/self/mem).
		return req, errNoGuard
	}
	if len(req.Language.Run) == 0 {
		return req, errors.New("exercise: python has no run command")
	}
	pyc, err := h.pyc.get(req.Language.Run[0])
	if err != nil {
		return req, err
	}
	type suite struct {
		Name   string `json:"name"`
		Hidden bool   `json:"hidden"`
		Code   string `json:"code"`
	}
	spec := struct {
		Nonce  string  `json:"nonce"`
		Suites []suite `json:"suites"`
	}{Nonce: h.filter.nonce}
	for _, t := range h.tests {
		if t.Kind == content.TestsPython {
			spec.Suites = append(spec.Suites, suite{Name: t.Name, Hidden: t.Hidden, Code: t.Code})
		}
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return req, err
	}
	lang := req.Language
	lang.FileName = solutionFile
	// No main file in the run command: the warm pool leaves such runs cold
	// (a warm sandbox would start the learner's code, not the harness).
	lang.Run = []string{lang.Run[0], "-u", harnessFile}
	req.Language = lang
	files := []sandbox.File{{Name: solutionFile, Content: req.Files[0].Content}, {Name: harnessFile, Content: pyc}, *guard}
	req.Files = append(files, req.Files[1:]...)
	req.Stdin = bytes.NewReader(in)
	h.filter.out = req.Stdout
	req.Stdout = h.filter
	req.Limits.OutputChars += frameBudget
	return req, nil
}

// frameBudget is output room added for the verdict lines, so a learner
// who prints up to the limit still gets the verdicts.
const frameBudget = 64 << 10

var errNoGuard = errors.New("exercise: the Python policy has no run-time guard; hidden tests need one")

// compiled is the harness as a .pyc, compiled once per interpreter with the
// interpreter the sandbox runs (it binds the host's /usr).
type compiled struct {
	mu  sync.Mutex
	pyc map[string][]byte
}

func (c *compiled) get(python string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.pyc[python]; ok {
		return b, nil
	}
	out, err := pycompile.Script(python, harnessName, harnessSource)
	if err != nil {
		return nil, fmt.Errorf("exercise: %w", err)
	}
	if c.pyc == nil {
		c.pyc = map[string][]byte{}
	}
	c.pyc[python] = slices.Clip(out)
	return out, nil
}
