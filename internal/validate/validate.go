// Package validate checks learners' code before it runs: syntax, an operator
// policy (allowed imports, denied builtins) and teaching warnings.
//
// Validation is a teaching aid and an operator policy, not the security
// boundary: the sandbox is. Code is parsed by the language's own tools
// (Python's ast, gcc -fsyntax-only) run through a sandbox.Runtime, so the
// server process never parses untrusted code, and nothing here runs it.
package validate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
)

// Errors the HTTP layer maps to statuses: ErrUnsupportedLanguage and
// ErrUnknownPolicy to 400, ErrTooLarge to 413, ErrCheckerFailed to 5xx (the
// system failed, not the learner's code).
var (
	ErrUnsupportedLanguage = errors.New("validate: unsupported language")
	ErrUnknownPolicy       = errors.New("validate: unknown policy")
	ErrTooLarge            = errors.New("validate: code is too large")
	ErrCheckerFailed       = errors.New("validate: checker failed")
)

// Issue is one error or warning. Line and Column are 1-based, Column counted
// in characters; both are 0 when the tool gave no position. EndLine and
// EndColumn (exclusive) are set when known, for editor markers.
type Issue struct {
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line,omitempty"`
	EndColumn int    `json:"end_column,omitempty"`
	Message   string `json:"message"`
}

// Result is the verdict on one snippet. Invalid code is a Result with
// Valid false, never a Go error. Error is the first error, prefixed with
// its kind and position for syntax errors ("SyntaxError: invalid syntax
// (line 1, column 7)") and verbatim for policy violations.
type Result struct {
	Valid          bool     `json:"valid"`
	Error          *string  `json:"error"`
	Warnings       []string `json:"warnings"` // "line 3: ..." for people
	Errors         []Issue  `json:"errors"`
	WarningDetails []Issue  `json:"warning_details"`
	Policy         string   `json:"policy"`
	// PolicyViolation is set when an error comes from the policy rather than
	// the language's syntax: only those stop a run before it starts (a
	// syntax error is better reported by the run itself, as the learner
	// would see it in a terminal).
	PolicyViolation bool `json:"policy_violation"`
}

// Request is one snippet to check.
type Request struct {
	Code     string
	Language string // "python" (also ""), "c"
	Policy   string // "" = Options.DefaultPolicy
	HasStdin bool   // the run will get input, so input() is fine
}

// Options configure a Validator. Only Runtime is required.
type Options struct {
	Runtime sandbox.Runtime
	// Languages are the descriptors whose checkers /validate runs; default
	// the built-ins.
	Languages  lang.Set
	PythonPath string // inside the sandbox; default the python checker language's interpreter
	// CArgv, when set, replaces the C descriptor's checker argv; the code
	// is written to main.c in the working directory.
	CArgv         []string
	Policies      map[string]Policy // default DefaultPolicies()
	DefaultPolicy string            // default "teaching"
	MaxCodeBytes  int               // default 64 KiB
	Limits        sandbox.Limits    // zero fields take DefaultLimits
}

// DefaultLimits bound one checker run: parsing is quick, so anything near
// these limits is a pathological input or a broken checker.
var DefaultLimits = sandbox.Limits{
	MemoryBytes: 256 << 20,
	CPUs:        1,
	WallTime:    5 * time.Second,
	Pids:        16, // gcc starts cc1
	OutputChars: 1 << 20,
	TmpBytes:    16 << 20,
	FileBytes:   1 << 20,
}

// DefaultCArgv is the built-in C descriptor's checker. It asks for byte
// columns so they can be turned into character columns exactly, and for
// plain (source-free) output.
var DefaultCArgv = []string{
	"/usr/bin/gcc", "-fsyntax-only", "-std=c17", "-Wall", "-fmax-errors=100",
	"-fdiagnostics-plain-output", "-fdiagnostics-column-unit=byte", "main.c",
}

// Validator checks code; it is safe for concurrent use.
type Validator struct {
	runtime       sandbox.Runtime
	pythonPath    string
	cArgv         []string
	policies      map[string]Policy
	defaultPolicy string
	maxCodeBytes  int
	limits        sandbox.Limits
	guards        sync.Map // policy name → guardFile
	startOnce     sync.Once
	start         guardFile // see Starter
	checkerOnce   sync.Once
	checker       sandbox.File // see checkerFile
	langs         lang.Set
}

// New checks opts and fills in defaults.
func New(opts Options) (*Validator, error) {
	if opts.Runtime == nil {
		return nil, errors.New("validate: Options.Runtime is required")
	}
	v := &Validator{
		runtime:       opts.Runtime,
		pythonPath:    opts.PythonPath,
		cArgv:         append([]string(nil), opts.CArgv...),
		policies:      make(map[string]Policy),
		defaultPolicy: opts.DefaultPolicy,
		maxCodeBytes:  opts.MaxCodeBytes,
		limits:        opts.Limits.Merge(DefaultLimits),
	}
	v.langs = opts.Languages.Clone()
	if v.langs == nil {
		v.langs = lang.Builtins()
	}
	for _, n := range v.langs.Names() {
		if d := v.langs[n]; v.pythonPath == "" && d.Check != nil && d.Check.Format == "python" {
			v.pythonPath = d.Run[0]
		}
	}
	if v.pythonPath == "" {
		v.pythonPath = "/usr/bin/python3"
	}
	if len(v.cArgv) == 0 {
		v.cArgv = append(v.cArgv, DefaultCArgv...)
	}
	if c, ok := v.langs["c"]; ok && len(opts.CArgv) > 0 && c.Check != nil {
		c.Check.Argv = v.cArgv
		v.langs["c"] = c
	}
	if v.maxCodeBytes <= 0 {
		v.maxCodeBytes = 64 << 10
	}
	if v.defaultPolicy == "" {
		v.defaultPolicy = PolicyTeaching
	}
	policies := opts.Policies
	if policies == nil {
		policies = DefaultPolicies()
	}
	for key, p := range policies {
		if p.Name == "" {
			p.Name = key
		}
		if p.Name != key {
			return nil, fmt.Errorf("validate: policies[%q].name: %q must match its key", key, p.Name)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("validate: %w", err)
		}
		v.policies[key] = p
	}
	if _, ok := v.policies[v.defaultPolicy]; !ok {
		return nil, fmt.Errorf("validate: default_policy: %w %q", ErrUnknownPolicy, v.defaultPolicy)
	}
	return v, nil
}

// Close is kept for callers that close what they open; the warm checkers
// belong to the front door (see CheckerPool).
func (v *Validator) Close() {}

// Validate checks req. A Go error means the request was unacceptable
// (ErrUnsupportedLanguage, ErrUnknownPolicy, ErrTooLarge) or the checker
// could not give a verdict (ErrCheckerFailed, or the context's error).
func (v *Validator) Validate(ctx context.Context, req Request) (Result, error) {
	name := req.Language
	if name == "" {
		name = "python"
	}
	d, ok := v.langs.Lookup(name)
	if !ok || d.Check == nil {
		return Result{}, fmt.Errorf("%w: %q", ErrUnsupportedLanguage, req.Language)
	}
	check := v.python
	if d.Check.Format != "python" {
		check = func(ctx context.Context, req Request, p Policy) (Result, error) { return v.tool(ctx, req, p, d) }
	}
	if len(req.Code) > v.maxCodeBytes {
		return Result{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(req.Code), v.maxCodeBytes)
	}
	pname := req.Policy
	if pname == "" {
		pname = v.defaultPolicy
	}
	policy, ok := v.policies[pname]
	if !ok {
		return Result{}, fmt.Errorf("%w: %q", ErrUnknownPolicy, pname)
	}
	return check(ctx, req, policy)
}
