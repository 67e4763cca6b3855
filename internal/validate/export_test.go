package validate

// Test-only exports for package validate_test: bwrap_test.go runs the
// in-package tables on the real sandbox through the exported API only, as
// the server does.

// StrictCase is one row of the strict-policy table: Want nil means valid.
type StrictCase struct {
	Name, Code string
	Want       []ExpectedIssue
}

// ExpectedIssue is the part of an Issue the table pins.
type ExpectedIssue struct {
	Line, Column int
	Message      string
}

// StrictPolicyCases returns a copy of the table TestPythonStrictPolicy runs.
func StrictPolicyCases() []StrictCase {
	out := make([]StrictCase, 0, len(strictPolicyCases))
	for _, tc := range strictPolicyCases {
		c := StrictCase{Name: tc.name, Code: tc.code}
		for _, w := range tc.want {
			c.Want = append(c.Want, ExpectedIssue{Line: w.line, Column: w.col, Message: w.msg})
		}
		out = append(out, c)
	}
	return out
}
