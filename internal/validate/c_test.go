package validate

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/sandbox"
)

func newCValidator(t *testing.T) *Validator {
	t.Helper()
	if _, err := os.Stat(DefaultCArgv[0]); err != nil {
		t.Fatalf("C validation tests need %s: %v", DefaultCArgv[0], err)
	}
	return newHostValidator(t, Options{})
}

func TestC(t *testing.T) {
	v := newCValidator(t)
	tests := []struct {
		name, code string
		errs, warn []at
		summary    string
	}{
		{"valid", "#include <stdio.h>\nint main(void) {\n    printf(\"hi\\n\");\n    return 0;\n}\n", nil, nil, ""},
		{"missing semicolon", "#include <stdio.h>\nint main(void) {\n    printf(\"hi\\n\")\n    return 0;\n}\n",
			[]at{{3, 19, "expected ';' before 'return'"}}, nil,
			"error: expected ';' before 'return' (line 3, column 19)"},
		// gcc counts bytes (each é is two); the editor counts characters.
		{"columns in characters", "int main(void) {\n\tchar *s = \"éé\"; int y = 1 +;\n\treturn 0;\n}\n",
			[]at{{2, 29, "expected expression before ';' token"}},
			[]at{{2, 8, "unused variable 's' [-Wunused-variable]"}, {2, 22, "unused variable 'y' [-Wunused-variable]"}},
			"error: expected expression before ';' token (line 2, column 29)"},
		{"missing header", "#include <nothere.h>\nint main(void) { return 0; }\n",
			[]at{{1, 10, "nothere.h: No such file or directory"}}, nil,
			"fatal error: nothere.h: No such file or directory (line 1, column 10)"},
		{"warning only", "int main(void) { int x; return 0; }\n", nil, []at{{1, 22, "unused variable 'x' [-Wunused-variable]"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := validate(t, v, Request{Code: tc.code, Language: "c"})
			if !sameIssues(res.Errors, tc.errs) || !sameIssues(res.WarningDetails, tc.warn) {
				t.Fatalf("errors %v warnings %v\nwant   %v and %v", positions(res.Errors), positions(res.WarningDetails), tc.errs, tc.warn)
			}
			if res.Valid != (tc.errs == nil) {
				t.Fatalf("valid = %v", res.Valid)
			}
			if (res.Error == nil) != (tc.summary == "") || res.Error != nil && *res.Error != tc.summary {
				t.Fatalf("error = %v, want %q", res.Error, tc.summary)
			}
		})
	}
}

func TestCErrorsCapped(t *testing.T) {
	v := newCValidator(t)
	code := "int main(void) {\n" + strings.Repeat("\tint = ;\n", 300) + "}\n"
	res := validate(t, v, Request{Code: code, Language: "c"})
	if res.Valid || len(res.Errors) != maxIssues || res.Errors[0].Line != 2 {
		t.Fatalf("valid %v, %d errors, first %+v", res.Valid, len(res.Errors), res.Errors[0])
	}
}

func TestCCompilerFailures(t *testing.T) {
	tests := []struct {
		name string
		rt   sandbox.Runtime
		want string
	}{
		{"compiler missing", nil, ""},
		{"internal compiler error", fakeRuntime{stderr: "main.c:1:1: internal compiler error: Segmentation fault\n",
			result: sandbox.Result{Status: sandbox.StatusError, ExitCode: 4}},
			"validate: checker failed: /usr/bin/gcc exited with code 4: main.c:1:1: internal compiler error: Segmentation fault"},
		{"failed without a diagnostic", fakeRuntime{stderr: "gcc: fatal error: cannot execute 'cc1': No such file\n",
			result: sandbox.Result{Status: sandbox.StatusError, ExitCode: 1}},
			"validate: checker failed: /usr/bin/gcc exited with code 1: gcc: fatal error: cannot execute 'cc1': No such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Runtime: tc.rt}
			if tc.rt == nil {
				opts.CArgv = []string{"/nonexistent/gcc", "-fsyntax-only", "main.c"}
			}
			v := newHostValidator(t, opts)
			_, err := v.Validate(context.Background(), Request{Code: "int main(void) { return 0; }", Language: "c"})
			if !errors.Is(err, ErrCheckerFailed) || tc.want != "" && err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCWarningsFollowPolicy(t *testing.T) {
	quiet := Policy{Name: "quiet", SyntaxOnly: true}
	v := newHostValidator(t, Options{Policies: map[string]Policy{quiet.Name: quiet}, DefaultPolicy: quiet.Name})
	res := validate(t, v, Request{Code: "int main(void) { int x; return 0; }\n", Language: "c"})
	if !res.Valid || len(res.Warnings) != 0 || res.Policy != "quiet" {
		t.Fatalf("got %+v", res)
	}
}
