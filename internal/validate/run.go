package validate

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/runblock/runblock/internal/sandbox"
)

type checkerOutput struct {
	stdout, stderr bytes.Buffer
	result         sandbox.Result
}

// run starts a checker in the sandbox. Ending other than by exiting is a
// failure of the checker: parsing a snippet within the size limit takes
// milliseconds, so a timeout or OOM means the checker is broken or stuck.
func (v *Validator) run(ctx context.Context, lang sandbox.Language, file sandbox.File, stdin []byte) (*checkerOutput, error) {
	return v.runWith(ctx, lang, file, stdin, v.limits)
}

// runWith is run under a checker's own limits (javac needs more than a parse).
func (v *Validator) runWith(ctx context.Context, lang sandbox.Language, file sandbox.File, stdin []byte, limits sandbox.Limits) (*checkerOutput, error) {
	out := &checkerOutput{}
	res, err := v.runtime.Run(ctx, sandbox.Request{
		Language: lang,
		Files:    []sandbox.File{file},
		Stdin:    bytes.NewReader(stdin),
		Stdout:   &out.stdout,
		Stderr:   &out.stderr,
		Limits:   limits,
	})
	return v.judge(ctx, lang, out, res, err, limits)
}

// judge turns how a checker's sandbox ended into its output or an error.
func (v *Validator) judge(ctx context.Context, lang sandbox.Language, out *checkerOutput, res sandbox.Result, err error, limits sandbox.Limits) (*checkerOutput, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, fmt.Errorf("validate: %s: %w", lang.Name, ctxErr)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCheckerFailed, lang.Name, err)
	}
	out.result = res
	switch {
	case res.Status == sandbox.StatusTimeout:
		return nil, fmt.Errorf("%w: %s timed out after %s", ErrCheckerFailed, lang.Name, limits.WallTime)
	case res.Status == sandbox.StatusMemoryLimit || res.OOMKilled:
		return nil, fmt.Errorf("%w: %s ran out of memory (%d bytes)", ErrCheckerFailed, lang.Name, limits.MemoryBytes)
	case res.Status == sandbox.StatusCancelled:
		return nil, fmt.Errorf("%w: %s was cancelled", ErrCheckerFailed, lang.Name)
	case res.Signal != "":
		return nil, fmt.Errorf("%w: %s killed by %s%s", ErrCheckerFailed, lang.Name, res.Signal, out.stderrTail())
	case res.Truncated:
		return nil, fmt.Errorf("%w: %s wrote more than %d characters", ErrCheckerFailed, lang.Name, limits.OutputChars)
	}
	return out, nil
}

// stderrTail keeps the end of stderr, where a traceback names its exception.
func (o *checkerOutput) stderrTail() string {
	s := strings.TrimSpace(o.stderr.String())
	if s == "" {
		return ""
	}
	if len(s) > 400 {
		s = "..." + strings.ToValidUTF8(s[len(s)-400:], "")
	}
	return ": " + s
}
