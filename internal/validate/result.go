package validate

import "fmt"

// maxIssues bounds the errors and the warnings reported for one snippet.
const maxIssues = 100

// issue is an Issue as a checker reports it, with the kind of error.
type issue struct {
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line"`
	EndColumn int    `json:"end_column"`
	Message   string `json:"message"`
	Kind      string `json:"kind"`
}

func (i issue) public() Issue {
	return Issue{Line: i.Line, Column: i.Column, EndLine: i.EndLine, EndColumn: i.EndColumn, Message: i.Message}
}

// Kinds whose message needs its kind and position to make sense on its own
// ("invalid syntax" alone says nothing); policy messages already do.
var positionedKinds = map[string]bool{
	"SyntaxError": true, "IndentationError": true, "TabError": true,
	"error": true, "fatal error": true, // gcc
}

// Kinds the language itself reports (CPython's compile(), gcc): running the
// code fails the same way, so they are not policy violations and do not stop
// a run. Every other kind ("policy", and "nesting" when a policy walk could
// not finish) is the policy's. RecursionError and MemoryError are CPython's
// compiler refusing deeply nested code (it says so when the code runs, too).
var languageKinds = map[string]bool{
	"SyntaxError": true, "IndentationError": true, "TabError": true,
	"RecursionError": true, "MemoryError": true,
	"error": true, "fatal error": true, // gcc
}

func newResult(policy string) Result {
	return Result{Valid: true, Warnings: []string{}, Errors: []Issue{}, WarningDetails: []Issue{}, Policy: policy}
}

func (r *Result) addError(i issue) {
	if len(r.Errors) == 0 {
		msg := i.Message
		if positionedKinds[i.Kind] && i.Line > 0 {
			msg = fmt.Sprintf("%s: %s (line %d, column %d)", i.Kind, i.Message, i.Line, i.Column)
		}
		r.Error = &msg
	}
	r.Valid = false
	if !languageKinds[i.Kind] {
		r.PolicyViolation = true
	}
	r.Errors = append(r.Errors, i.public())
}

func (r *Result) addWarning(i issue) {
	r.WarningDetails = append(r.WarningDetails, i.public())
	if i.Line > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("line %d: %s", i.Line, i.Message))
	} else {
		r.Warnings = append(r.Warnings, i.Message)
	}
}
