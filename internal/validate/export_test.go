package validate

import (
	"fmt"
	"strings"
)

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

// teachingDiffers are the strict table's rows where teaching gives another
// verdict on purpose: open() is allowed there, confined to the sandbox's
// files, so reading /etc/passwd is refused as a path, not as a call.
var teachingDiffers = map[string][]ExpectedIssue{
	"open": {{1, 8, "Security violation: reading /etc/passwd is not allowed"}},
}

// TeachingPolicyCases is the strict table as the teaching policy must
// answer it: Want's messages are prefixes the explanation follows.
func TeachingPolicyCases() []StrictCase {
	out := StrictPolicyCases()
	for i, c := range out {
		if w, ok := teachingDiffers[c.Name]; ok {
			out[i].Want = w
		}
	}
	return out
}

// SameExplainedIssues reports whether got matches want at the same places
// with each message either equal to want's or want's followed by ": why.
// Instead, what to do." (the teaching policy's explanation).
func SameExplainedIssues(got []Issue, want []ExpectedIssue) (string, bool) {
	if len(got) != len(want) {
		return fmt.Sprintf("%d issues, want %d", len(got), len(want)), false
	}
	for i, g := range got {
		w := want[i]
		if g.Line != w.Line || g.Column != w.Column {
			return fmt.Sprintf("issue %d at %d:%d, want %d:%d", i, g.Line, g.Column, w.Line, w.Column), false
		}
		if g.Message == w.Message && strings.Contains(w.Message, "coding declaration") {
			continue // explains itself already
		}
		if !strings.HasPrefix(g.Message, w.Message+": ") || !strings.Contains(g.Message, ". Instead, ") {
			return fmt.Sprintf("issue %d: %q does not start with %q and explain itself", i, g.Message, w.Message), false
		}
	}
	return "", true
}
