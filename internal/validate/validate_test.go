package validate

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// hostRuntime runs a request directly on the host, in a temporary directory
// with an empty environment. That is acceptable for these tests only because
// the programs it runs are the validators themselves: checker.py only parses
// and compiles the learner's code (never runs it), and gcc -fsyntax-only
// does not build or run anything. Production goes through the sandbox; the
// lead's integration test runs the same checks on bubblewrap.
type hostRuntime struct {
	tb testing.TB
}

func (h hostRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	dir := h.tb.TempDir()
	for _, f := range req.Files {
		name := f.Name
		if name == "" {
			name = req.Language.FileName
		}
		if err := os.WriteFile(filepath.Join(dir, name), f.Content, 0o600); err != nil {
			return sandbox.Result{}, err
		}
	}
	if req.Limits.WallTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Limits.WallTime)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, req.Language.Run[0], req.Language.Run[1:]...)
	cmd.Dir = dir
	cmd.Env = []string{}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = req.Stdin, req.Stdout, req.Stderr
	start := time.Now()
	err := cmd.Run()
	res := sandbox.Result{Stage: sandbox.StageRun, Status: sandbox.StatusSuccess, WallTime: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.Status, res.ExitCode = sandbox.StatusTimeout, -1
	case errors.As(err, &exitErr):
		res.Status, res.ExitCode = sandbox.StatusError, exitErr.ExitCode()
	case err != nil:
		return sandbox.Result{}, err
	}
	return res, nil
}

// fakeRuntime answers with canned output, to drive the failure paths.
type fakeRuntime struct {
	stdout, stderr string
	result         sandbox.Result
	err            error
}

func (f fakeRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	_, _ = req.Stdout.Write([]byte(f.stdout))
	_, _ = req.Stderr.Write([]byte(f.stderr))
	return f.result, f.err
}

func newHostValidator(t testing.TB, opts Options) *Validator {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatalf("these tests need Debian's /usr/bin/python3: %v", err)
	}
	if opts.Runtime == nil {
		opts.Runtime = hostRuntime{tb: t}
	}
	v, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func validate(t *testing.T, v *Validator, req Request) Result {
	t.Helper()
	res, err := v.Validate(context.Background(), req)
	if err != nil {
		t.Fatalf("Validate(%q): %v", req.Code, err)
	}
	return res
}

func TestNewRejectsBadOptions(t *testing.T) {
	rt := fakeRuntime{}
	bad := DefaultPolicies()[PolicyStrict]
	bad.AllowedImports = append(bad.AllowedImports, "os.path")
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no runtime", Options{}, "validate: Options.Runtime is required"},
		{"unknown default", Options{Runtime: rt, DefaultPolicy: "lenient"}, `validate: default_policy: validate: unknown policy "lenient"`},
		{"name differs from key", Options{Runtime: rt, Policies: map[string]Policy{"a": {Name: "b", SyntaxOnly: true}}, DefaultPolicy: "a"},
			`validate: policies["a"].name: "b" must match its key`},
		{"invalid policy", Options{Runtime: rt, Policies: map[string]Policy{PolicyStrict: bad}},
			`validate: policy "strict": allowed_imports[24]: "os.path" is not a top-level Python name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("New error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewFillsDefaults(t *testing.T) {
	v, err := New(Options{Runtime: fakeRuntime{}, Policies: map[string]Policy{"mine": {SyntaxOnly: true}}, DefaultPolicy: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if v.pythonPath != "/usr/bin/python3" || v.maxCodeBytes != 64<<10 || v.limits != DefaultLimits {
		t.Fatalf("defaults not applied: %q %d %+v", v.pythonPath, v.maxCodeBytes, v.limits)
	}
	if strings.Join(v.cArgv, " ") != strings.Join(DefaultCArgv, " ") {
		t.Fatalf("cArgv = %q", v.cArgv)
	}
	if v.policies["mine"].Name != "mine" {
		t.Fatalf("policy name not taken from its key: %+v", v.policies["mine"])
	}
}

func TestValidateRequestErrors(t *testing.T) {
	v := newHostValidator(t, Options{MaxCodeBytes: 10})
	tests := []struct {
		req  Request
		want error
		msg  string
	}{
		{Request{Code: "x", Language: "cobol"}, ErrUnsupportedLanguage, `validate: unsupported language: "cobol"`},
		{Request{Code: "x", Language: "Python"}, ErrUnsupportedLanguage, `validate: unsupported language: "Python"`},
		{Request{Code: "x = 12345678", Language: "python"}, ErrTooLarge, "validate: code is too large: 12 bytes, the limit is 10"},
		{Request{Code: "x", Language: "python", Policy: "nope"}, ErrUnknownPolicy, `validate: unknown policy: "nope"`},
	}
	for _, tc := range tests {
		_, err := v.Validate(context.Background(), tc.req)
		if !errors.Is(err, tc.want) || err.Error() != tc.msg {
			t.Errorf("Validate(%+v) = %v, want %q", tc.req, err, tc.msg)
		}
	}
}

func TestValidateMaxSizeSnippet(t *testing.T) {
	v := newHostValidator(t, Options{})
	var b strings.Builder
	for i := 0; b.Len() < 64<<10-40; i++ {
		b.WriteString("total = 0\nfor i in range(10):\n    total += i * 2\n")
	}
	b.WriteString(strings.Repeat("#", 64<<10-b.Len()))
	code := b.String()
	if len(code) != 64<<10 {
		t.Fatalf("snippet is %d bytes", len(code))
	}
	res := validate(t, v, Request{Code: code})
	if !res.Valid || len(res.Errors) != 0 || len(res.Warnings) != 0 {
		t.Fatalf("64 KiB snippet: %+v", res)
	}
	_, err := v.Validate(context.Background(), Request{Code: code + "\n"})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("64 KiB + 1: err = %v, want ErrTooLarge", err)
	}
}

func TestValidateDeepNesting(t *testing.T) {
	v := newHostValidator(t, Options{})
	tests := []struct {
		name, code string
		want       Issue
	}{
		// The tokenizer refuses more than 200 open brackets itself.
		{"parentheses", strings.Repeat("(", 10000) + strings.Repeat(")", 10000),
			Issue{Line: 1, Column: 201, EndLine: 1, EndColumn: 201, Message: "too many nested parentheses"}},
		// These reach RecursionError and MemoryError inside the parser.
		{"binary operators", "a" + strings.Repeat("+a", 20000), Issue{Message: "code is nested too deeply"}},
		{"unary minus", strings.Repeat("-", 30000) + "1", Issue{Message: "code is nested too deeply"}},
		{"lambdas", strings.Repeat("lambda: ", 5000) + "1", Issue{Message: "code is nested too deeply"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := validate(t, v, Request{Code: tc.code})
			if res.Valid || len(res.Errors) != 1 || res.Errors[0] != tc.want {
				t.Fatalf("got %+v, want one error %+v", res.Errors, tc.want)
			}
			// CPython refuses this code too: a run reports it, the policy does not.
			if res.PolicyViolation {
				t.Fatal("nesting CPython can't compile is reported as a policy violation")
			}
		})
	}
}

func TestValidateNeverRunsTheCode(t *testing.T) {
	v := newHostValidator(t, Options{})
	// If the checker ran this, its stdout would carry a forged verdict and
	// it would exit 3; either would surface here.
	code := `import sys
sys.stdout.write('{"errors": [], "warnings": [{"line": 1, "column": 1, "message": "ran"}]}')
raise SystemExit(3)
`
	res := validate(t, v, Request{Code: code, Policy: PolicySandboxOnly})
	if !res.Valid || len(res.WarningDetails) != 0 {
		t.Fatalf("got %+v", res)
	}
}

func TestValidateCheckerFailures(t *testing.T) {
	tests := []struct {
		name string
		rt   fakeRuntime
		want string
	}{
		{"runtime error", fakeRuntime{err: errors.New("bwrap: no slot")},
			"validate: checker failed: python-validate: bwrap: no slot"},
		{"timeout", fakeRuntime{result: sandbox.Result{Status: sandbox.StatusTimeout, ExitCode: -1}},
			"validate: checker failed: python-validate timed out after 5s"},
		{"out of memory", fakeRuntime{result: sandbox.Result{Status: sandbox.StatusMemoryLimit, OOMKilled: true, ExitCode: -1}},
			"validate: checker failed: python-validate ran out of memory (268435456 bytes)"},
		{"signal", fakeRuntime{stderr: "Fatal Python error: Segmentation fault\n", result: sandbox.Result{Status: sandbox.StatusError, ExitCode: -1, Signal: "SIGSEGV"}},
			"validate: checker failed: python-validate killed by SIGSEGV: Fatal Python error: Segmentation fault"},
		{"traceback", fakeRuntime{stderr: "Traceback (most recent call last):\nKeyError: 'code'\n", result: sandbox.Result{Status: sandbox.StatusError, ExitCode: 1}},
			"validate: checker failed: python checker exited with code 1: Traceback (most recent call last):\nKeyError: 'code'"},
		{"truncated", fakeRuntime{stdout: `{"errors": [`, result: sandbox.Result{Status: sandbox.StatusSuccess, Truncated: true}},
			"validate: checker failed: python-validate wrote more than 1048576 characters"},
		{"garbage", fakeRuntime{stdout: "hello", result: sandbox.Result{Status: sandbox.StatusSuccess}},
			"validate: checker failed: python checker output: invalid character 'h' looking for beginning of value"},
		{"empty", fakeRuntime{result: sandbox.Result{Status: sandbox.StatusSuccess}},
			"validate: checker failed: python checker output: EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(Options{Runtime: tc.rt})
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Validate(context.Background(), Request{Code: "print(1)"})
			if !errors.Is(err, ErrCheckerFailed) || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestValidateContextCancelled(t *testing.T) {
	v := newHostValidator(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Validate(ctx, Request{Code: "print(1)"})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrCheckerFailed) {
		t.Fatalf("err = %v, want context.Canceled and not a checker failure", err)
	}
}

func TestValidateMissingInterpreter(t *testing.T) {
	v := newHostValidator(t, Options{PythonPath: "/nonexistent/python3"})
	_, err := v.Validate(context.Background(), Request{Code: "print(1)"})
	if !errors.Is(err, ErrCheckerFailed) {
		t.Fatalf("err = %v, want ErrCheckerFailed", err)
	}
}

func TestValidateConcurrent(t *testing.T) {
	v := newHostValidator(t, Options{})
	for i, code := range []string{"import os", "print(1)", "x ==", "eval('1')"} {
		t.Run(strings.Repeat("x", i+1), func(t *testing.T) {
			t.Parallel()
			res := validate(t, v, Request{Code: code})
			if res.Valid != (code == "print(1)") {
				t.Errorf("%q: valid = %v", code, res.Valid)
			}
		})
	}
}
