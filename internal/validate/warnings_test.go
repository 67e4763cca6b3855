package validate

import "testing"

const (
	wLoop    = "infinite loop: while True has no break"
	wInput   = "input() is called but this run has no input: it will raise EOFError"
	wCompare = "comparison result is unused (did you mean =?)"
	wExcept  = "bare except: catches every exception, even KeyboardInterrupt; name the one you expect"
	wPrint   = "print is not called: write print(...)"
)

// TestPythonWarnings gives each teaching warning a case that triggers it and
// one that must not. Warnings never make code invalid.
func TestPythonWarnings(t *testing.T) {
	v := newHostValidator(t, Options{})
	tests := []struct {
		name, code string
		hasStdin   bool
		want       []at
	}{
		{"while True without break", "while True:\n    print(1)", false, []at{{1, 1, wLoop}}},
		{"while 1 without break", "n = 0\nwhile 1:\n    n += 1", false, []at{{2, 1, wLoop}}},
		{"break only leaves the inner loop", "while True:\n    for i in range(3):\n        break", false, []at{{1, 1, wLoop}}},
		{"return in a nested function does not leave the loop", "while True:\n    def g():\n        return 1", false, []at{{1, 1, wLoop}}},
		{"while True with break", "while True:\n    if done():\n        break", false, nil},
		{"break in the inner loop's else leaves the outer loop", "while True:\n    for i in x:\n        pass\n    else:\n        break", false, nil},
		{"while True with return in a function", "def f():\n    while True:\n        if ready():\n            return 1", false, nil},
		{"infinite generator", "def count():\n    n = 0\n    while True:\n        yield n\n        n += 1", false, nil},
		{"while True with raise", "while True:\n    raise StopIteration", false, nil},
		{"while True with exit()", "while True:\n    exit()", false, nil},
		{"while with a condition", "n = 0\nwhile n < 3:\n    n += 1", false, nil},

		{"input without stdin", "name = input(\"Name? \")", false, []at{{1, 8, wInput}}},
		{"input with stdin", "name = input(\"Name? \")", true, nil},

		{"range of 10**7", "for i in range(10**7):\n    pass", false, []at{{1, 10, "very large range: 10000000 iterations may exceed the time limit"}}},
		{"range with step", "for i in range(0, 10**8, 2):\n    pass", false, []at{{1, 10, "very large range: 50000000 iterations may exceed the time limit"}}},
		{"range with underscores", "s = sum(range(10_000_000))", false, []at{{1, 9, "very large range: 10000000 iterations may exceed the time limit"}}},
		{"range just below the limit", "for i in range(9_999_999):\n    pass", false, nil},
		{"range with a big step", "for i in range(0, 10**8, 100):\n    pass", false, nil},
		{"range of a variable", "n = 10**9\nfor i in range(n):\n    pass", false, nil},
		{"huge exponent is not folded", "for i in range(10**10**10):\n    pass", false, nil},

		{"unused comparison", "x = 1\nx == 2", false, []at{{2, 1, wCompare}}},
		{"used comparison", "x = 1\ny = x == 2\nassert x == 1", false, nil},

		{"bare except", "try:\n    pass\nexcept:\n    pass", false, []at{{3, 1, wExcept}}},
		{"named except", "try:\n    pass\nexcept ValueError:\n    pass", false, nil},

		{"print not called", "print", false, []at{{1, 1, wPrint}}},
		{"print called", "print()\np = print", false, nil},

		// the compiler's own SyntaxWarnings and DeprecationWarnings carry a line only
		{"is with a literal", "x = 1\nif x is 1:\n    pass", false, []at{{2, 0, `"is" with a literal. Did you mean "=="?`}}},
		{"is None", "x = 1\nif x is None:\n    pass", false, nil},
		{"invalid escape", `s = "\d"`, false, []at{{1, 0, `invalid escape sequence '\d'`}}},
		{"raw string", `s = r"\d"`, false, nil},

		{"several, in source order", "try:\n    x == 1\nexcept:\n    print", false,
			[]at{{2, 5, wCompare}, {3, 1, wExcept}, {4, 5, wPrint}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := validate(t, v, Request{Code: tc.code, HasStdin: tc.hasStdin})
			if !res.Valid {
				t.Fatalf("warnings made the code invalid: %v", res.Errors)
			}
			if !sameIssues(res.WarningDetails, tc.want) {
				t.Fatalf("warnings = %v\nwant       %v", positions(res.WarningDetails), tc.want)
			}
			if len(res.Warnings) != len(res.WarningDetails) {
				t.Fatalf("warnings %v do not match details", res.Warnings)
			}
		})
	}
}

func TestPythonWarningStrings(t *testing.T) {
	v := newHostValidator(t, Options{})
	res := validate(t, v, Request{Code: "x = 1\nif x is 1:\n    while True:\n        pass"})
	want := []string{`line 2: "is" with a literal. Did you mean "=="?`, "line 3: " + wLoop}
	if len(res.Warnings) != len(want) || res.Warnings[0] != want[0] || res.Warnings[1] != want[1] {
		t.Fatalf("warnings = %q, want %q", res.Warnings, want)
	}
}

func TestPythonWarningsOff(t *testing.T) {
	p := DefaultPolicies()[PolicyStrict]
	p.Warnings = false
	v := newHostValidator(t, Options{Policies: map[string]Policy{PolicyStrict: p}, DefaultPolicy: PolicyStrict})
	res := validate(t, v, Request{Code: "while True:\n    x == 1\n    print\n    input()\nif x is 1: pass"})
	if !res.Valid || len(res.Warnings) != 0 || len(res.WarningDetails) != 0 {
		t.Fatalf("got %+v", res)
	}
}
