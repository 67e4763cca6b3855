package validate

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/runblock/runblock/internal/pycompile"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/frontdoor"
)

//go:embed checker.py
var checkerScript []byte

type checkerRequest struct {
	Code     string `json:"code"`
	Policy   Policy `json:"policy"`
	HasStdin bool   `json:"has_stdin"`
}

func (v *Validator) python(ctx context.Context, req Request, policy Policy) (Result, error) {
	in, err := json.Marshal(checkerRequest{Code: req.Code, Policy: policy, HasStdin: req.HasStdin})
	if err != nil {
		return Result{}, fmt.Errorf("validate: encode checker request: %w", err)
	}
	// A front door with a pool for this checker (CheckerPool) answers from
	// a pre-started one; any other runtime starts it cold.
	out, err := v.run(ctx, v.pythonChecker(), v.checkerFile(), in)
	if err != nil {
		return Result{}, err
	}
	if out.result.ExitCode != 0 {
		return Result{}, fmt.Errorf("%w: python checker exited with code %d%s", ErrCheckerFailed, out.result.ExitCode, out.stderrTail())
	}
	return parseCheckerOutput(out.stdout.Bytes(), policy.Name)
}

func (v *Validator) pythonChecker() sandbox.Language {
	name := v.checkerFile().Name
	return sandbox.Language{
		Name:     "python-validate",
		FileName: name,
		// -I: no environment, no user site, script dir not on sys.path;
		// -S: no site module. The checker needs only the standard library.
		Run: []string{v.pythonPath, "-I", "-S", name},
	}
}

// checkerFile is the checker for /box: compiled once for the sandbox's
// Python (compiling its ~900 lines is a good part of a checker's start,
// paid by every check), or its source if that fails.
func (v *Validator) checkerFile() sandbox.File {
	v.checkerOnce.Do(func() {
		v.checker = sandbox.File{Name: "check.py", Content: checkerScript}
		if pyc, err := pycompile.Script(v.pythonPath, "/box/check.py", checkerScript); err == nil {
			v.checker = sandbox.File{Name: "check.pyc", Content: pyc}
		}
	})
	return v.checker
}

// CheckerPool describes the Python checker for a front door's warm pool:
// started ahead, it imports its modules and waits for its request on
// stdin, so a check costs only the parse.
func (v *Validator) CheckerPool(size int) frontdoor.PoolSpec {
	lim := v.limits
	// The wall limit covers the idle wait: far beyond MaxAge, since an idle
	// checker is retired only when it is next taken (one that hit its wall
	// limit while idle was dead in the pool, and checks started cold). A
	// check itself is bounded by the request's own limit (v.limits).
	lim.WallTime = 24 * time.Hour
	return frontdoor.PoolSpec{
		Template: sandbox.Request{
			Language: v.pythonChecker(),
			Files:    []sandbox.File{v.checkerFile()},
			Limits:   lim,
		},
		Size: size, MaxAge: warmMaxAge,
	}
}

// warmMaxAge retires idle warm checkers, so none waits near its wall limit.
const warmMaxAge = time.Hour

// parseCheckerOutput turns the checker's one JSON object into a Result.
// Anything else (empty, truncated, two objects, nonsense positions) means the
// checker broke, and is reported as such rather than as a verdict.
func parseCheckerOutput(data []byte, policy string) (Result, error) {
	var raw struct {
		Errors   *[]issue `json:"errors"`
		Warnings *[]issue `json:"warnings"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return Result{}, fmt.Errorf("%w: python checker output: %w", ErrCheckerFailed, err)
	}
	if dec.More() {
		return Result{}, fmt.Errorf("%w: python checker wrote more than one JSON value", ErrCheckerFailed)
	}
	if raw.Errors == nil || raw.Warnings == nil {
		return Result{}, fmt.Errorf("%w: python checker output lacks errors or warnings", ErrCheckerFailed)
	}
	res := newResult(policy)
	for _, i := range *raw.Errors {
		if err := i.check(); err != nil {
			return Result{}, err
		}
		res.addError(i)
	}
	for _, i := range *raw.Warnings {
		if err := i.check(); err != nil {
			return Result{}, err
		}
		res.addWarning(i)
	}
	return res, nil
}

func (i issue) check() error {
	if i.Line < 0 || i.Column < 0 || i.EndLine < 0 || i.EndColumn < 0 {
		return fmt.Errorf("%w: python checker gave a negative position", ErrCheckerFailed)
	}
	if i.Message == "" {
		return fmt.Errorf("%w: python checker gave an issue without a message", ErrCheckerFailed)
	}
	return nil
}
