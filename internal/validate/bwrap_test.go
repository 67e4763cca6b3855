package validate_test

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/sandbox/frontdoor"
	"github.com/runblock/runblock/internal/validate"
)

// These tests run the validator the way the server does: on the real
// bubblewrap runtime (root, cgroups, seccomp), not the host runtime the
// in-package unit tests use.

func newBwrapValidator(t *testing.T, warm ...int) *validate.Validator {
	t.Helper()
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatalf("bwrap runtime: %v", err)
	}
	fd, err := frontdoor.New(frontdoor.Config{Backend: rt, Admitter: frontdoor.NewSimpleAdmitter(8, 64, 4, time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	v, err := validate.New(validate.Options{Runtime: fd})
	if err != nil {
		t.Fatal(err)
	}
	if len(warm) > 0 {
		fd.AddPool(v.CheckerPool(warm[0]))
	}
	return v
}

// check validates with a deadline far beyond the checker's own 5 s limit,
// so that a hang fails the test instead of blocking it.
func check(t *testing.T, v *validate.Validator, req validate.Request) (validate.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return v.Validate(ctx, req)
}

func mustCheck(t *testing.T, v *validate.Validator, req validate.Request) validate.Result {
	t.Helper()
	res, err := check(t, v, req)
	if err != nil {
		t.Fatalf("Validate(%.60q): %v", req.Code, err)
	}
	return res
}

func issues(res []validate.Issue) []validate.ExpectedIssue {
	out := []validate.ExpectedIssue{}
	for _, i := range res {
		out = append(out, validate.ExpectedIssue{Line: i.Line, Column: i.Column, Message: i.Message})
	}
	return out
}

func sameIssues(got []validate.Issue, want []validate.ExpectedIssue) bool {
	g := issues(got)
	if len(g) != len(want) {
		return false
	}
	for i := range g {
		if g[i] != want[i] {
			return false
		}
	}
	return true
}

// TestBwrapStrictPolicy runs the strict-policy table (bypass attempts and
// look-alikes that must stay valid) through the sandboxed checker, under
// strict and under teaching (the default), which must catch every escape
// strict catches.
func TestBwrapStrictPolicy(t *testing.T) {
	// Cold checkers, and pre-started ones fed the code later: same verdicts.
	t.Run("cold", func(t *testing.T) { strictTable(t, newBwrapValidator(t), validate.PolicyStrict) })
	t.Run("warm", func(t *testing.T) { strictTable(t, newBwrapValidator(t, 2), validate.PolicyStrict) })
	t.Run("teaching", func(t *testing.T) { strictTable(t, newBwrapValidator(t, 2), validate.PolicyTeaching) })
}

func strictTable(t *testing.T, v *validate.Validator, policy string) {
	cases := validate.StrictPolicyCases()
	same := func(got []validate.Issue, want []validate.ExpectedIssue) bool { return sameIssues(got, want) }
	if policy == validate.PolicyTeaching {
		cases = validate.TeachingPolicyCases()
		same = func(got []validate.Issue, want []validate.ExpectedIssue) bool {
			_, ok := validate.SameExplainedIssues(got, want)
			return ok
		}
	}
	if len(cases) < 40 {
		t.Fatalf("the strict-policy table has %d cases, want at least 40", len(cases))
	}
	var valid, invalid int
	for _, tc := range cases {
		if tc.Want == nil {
			valid++
		} else {
			invalid++
		}
		t.Run(tc.Name, func(t *testing.T) {
			req := validate.Request{Code: tc.Code, HasStdin: true}
			if policy == validate.PolicyStrict {
				req.Policy = policy // teaching is the default: ask for nothing
			}
			res := mustCheck(t, v, req)
			if !same(res.Errors, tc.Want) {
				t.Fatalf("errors = %v\nwant     %v", issues(res.Errors), tc.Want)
			}
			if res.Valid != (tc.Want == nil) || res.PolicyViolation != (tc.Want != nil) || res.Policy != policy {
				t.Fatalf("valid = %v, policy_violation = %v, policy = %q", res.Valid, res.PolicyViolation, res.Policy)
			}
			if tc.Want == nil && res.Error != nil || tc.Want != nil && (res.Error == nil || *res.Error != res.Errors[0].Message) {
				t.Fatalf("error = %v, want the first error", res.Error)
			}
		})
	}
	// Both halves matter: refusing everything would pass the bypasses.
	if valid < 10 || invalid < 30 {
		t.Fatalf("%d valid and %d invalid cases; the table lost one half", valid, invalid)
	}
}

// cpython compiles code with the interpreter the sandbox runs
// (/usr/bin/python3) directly on the host: the code is the test's own literal.
func cpython(t *testing.T, code string) validate.Issue {
	t.Helper()
	script := `import json, sys
try:
    compile(sys.stdin.read(), "main.py", "exec")
except SyntaxError as e:
    print(json.dumps([e.msg, e.lineno or 0, e.offset or 0, e.end_lineno or 0, max(0, e.end_offset or 0)]))
`
	cmd := exec.Command("/usr/bin/python3", "-I", "-S", "-c", script)
	cmd.Stdin = strings.NewReader(code)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	var e []any
	if err := json.Unmarshal(out, &e); err != nil || len(e) != 5 {
		t.Fatalf("oracle gave %q for %q: %v", out, code, err)
	}
	n := func(i int) int { return int(e[i].(float64)) }
	return validate.Issue{Message: e[0].(string), Line: n(1), Column: n(2), EndLine: n(3), EndColumn: n(4)}
}

func TestBwrapSyntaxErrorsMatchCPython(t *testing.T) {
	v := newBwrapValidator(t)
	for _, code := range []string{
		"def f(:",
		"print('hello'",
		"for i in range(3):\nprint(i)",
		"x = 1\n  y = 2",
		"é = 1 +",      // columns in characters, not bytes
		`"😀" + return`, // a character outside the BMP before the error
		"return 1",     // found by the compiler, not the parser
	} {
		t.Run(code, func(t *testing.T) {
			want := cpython(t, code)
			res := mustCheck(t, v, validate.Request{Code: code})
			if res.Valid || res.PolicyViolation || len(res.Errors) != 1 || res.Errors[0] != want {
				t.Fatalf("valid %v, policy_violation %v, errors %+v\nwant one error %+v", res.Valid, res.PolicyViolation, res.Errors, want)
			}
		})
	}
}

func TestBwrapC(t *testing.T) {
	v := newBwrapValidator(t)
	// In the sandbox gcc runs in a UTF-8 locale, so it quotes with ‘ ’.
	tests := []struct {
		name, code  string
		errs, warns []validate.ExpectedIssue
		summary     string
		valid       bool
	}{
		{"valid", "#include <stdio.h>\nint main(void) {\n    printf(\"hi\\n\");\n    return 0;\n}\n", nil, nil, "", true},
		{"missing semicolon", "int main(void){return 0}",
			[]validate.ExpectedIssue{{Line: 1, Column: 24, Message: "expected ‘;’ before ‘}’ token"}}, nil,
			"error: expected ‘;’ before ‘}’ token (line 1, column 24)", false},
		// gcc counts bytes (each é is two); the editor counts characters.
		{"columns in characters", "int main(void) {\n\tchar *s = \"éé\"; int y = 1 +;\n\treturn 0;\n}\n",
			[]validate.ExpectedIssue{{Line: 2, Column: 29, Message: "expected expression before ‘;’ token"}},
			[]validate.ExpectedIssue{{Line: 2, Column: 8, Message: "unused variable ‘s’ [-Wunused-variable]"}, {Line: 2, Column: 22, Message: "unused variable ‘y’ [-Wunused-variable]"}},
			"error: expected expression before ‘;’ token (line 2, column 29)", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustCheck(t, v, validate.Request{Code: tc.code, Language: "c"})
			if !sameIssues(res.Errors, tc.errs) || !sameIssues(res.WarningDetails, tc.warns) {
				t.Fatalf("errors %v warnings %v\nwant   %v and %v", issues(res.Errors), issues(res.WarningDetails), tc.errs, tc.warns)
			}
			if res.Valid != tc.valid || res.PolicyViolation {
				t.Fatalf("valid = %v, policy_violation = %v", res.Valid, res.PolicyViolation)
			}
			if (res.Error == nil) != (tc.summary == "") || res.Error != nil && *res.Error != tc.summary {
				t.Fatalf("error = %v, want %q", res.Error, tc.summary)
			}
		})
	}
}

// TestBwrapHostileInclude: gcc reading /dev/zero as a header grows without
// bound; the checker's sandbox limits end it as a checker failure, and the
// caller gets an error instead of a hung request.
func TestBwrapHostileInclude(t *testing.T) {
	v := newBwrapValidator(t)
	_, err := check(t, v, validate.Request{Code: "#include \"/dev/zero\"\nint main(void) { return 0; }\n", Language: "c"})
	want := "validate: checker failed: c-validate ran out of memory (268435456 bytes)"
	if !errors.Is(err, validate.ErrCheckerFailed) || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	// The runtime is still usable afterwards.
	if res := mustCheck(t, v, validate.Request{Code: "int main(void) { return 0; }\n", Language: "c"}); !res.Valid {
		t.Fatalf("after the hostile include: %+v", res)
	}
}

func TestBwrapMaxSizeSnippet(t *testing.T) {
	v := newBwrapValidator(t)
	var b strings.Builder
	for b.Len() < 64<<10-40 {
		b.WriteString("total = 0\nfor i in range(10):\n    total += i * 2\n")
	}
	b.WriteString(strings.Repeat("#", 64<<10-b.Len()))
	code := b.String()
	if len(code) != 64<<10 {
		t.Fatalf("snippet is %d bytes", len(code))
	}
	res := mustCheck(t, v, validate.Request{Code: code})
	if !res.Valid || len(res.Errors) != 0 || len(res.Warnings) != 0 || res.Error != nil {
		t.Fatalf("64 KiB snippet: valid %v error %v errors %v warnings %v", res.Valid, res.Error, res.Errors, res.Warnings)
	}
	if _, err := check(t, v, validate.Request{Code: code + "\n"}); !errors.Is(err, validate.ErrTooLarge) {
		t.Fatalf("64 KiB + 1: err = %v, want ErrTooLarge", err)
	}
}

// TestBwrapDeepNesting: code CPython's parser refuses for its depth is an
// invalid verdict, not a checker crash, and not a policy violation (running
// it fails the same way).
func TestBwrapDeepNesting(t *testing.T) {
	v := newBwrapValidator(t)
	tests := []struct {
		name, code string
		want       validate.Issue
	}{
		{"10,000 parentheses", strings.Repeat("(", 10000) + strings.Repeat(")", 10000),
			validate.Issue{Line: 1, Column: 201, EndLine: 1, EndColumn: 201, Message: "too many nested parentheses"}},
		{"20,000 additions", "a" + strings.Repeat("+a", 20000), validate.Issue{Message: "code is nested too deeply"}},
		{"30,000 unary minus", strings.Repeat("-", 30000) + "1", validate.Issue{Message: "code is nested too deeply"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustCheck(t, v, validate.Request{Code: tc.code})
			if res.Valid || res.PolicyViolation || len(res.Errors) != 1 || res.Errors[0] != tc.want {
				t.Fatalf("valid %v, policy_violation %v, errors %+v; want one error %+v", res.Valid, res.PolicyViolation, res.Errors, tc.want)
			}
		})
	}
}
