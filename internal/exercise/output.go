package exercise

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/sandbox"
)

// The expected-output driver: see cases.py.
//
//go:embed cases.py
var casesSource []byte

const (
	casesFile = "runblock_cases.py"
	// caseCap bounds the stdout kept per case: more than any expected
	// output in a lesson, small enough that verdict lines fit the budget.
	caseCap = 8 << 10
)

// outputHarness runs a program once per expected-output case, in one
// sandbox, after its compile step. It works for any language whose run
// command the driver can start; Python blocks use the Python harness.
type outputHarness struct {
	python string
	cases  []content.Tests
	filter *frameFilter
}

func (h *outputHarness) Wrap(req sandbox.Request, guard *sandbox.File) (sandbox.Request, error) {
	if guard != nil {
		return req, fmt.Errorf("exercise: expected-output cases behind the Python guard are not supported")
	}
	type c struct {
		Name   string `json:"name"`
		Hidden bool   `json:"hidden"`
		Stdin  string `json:"stdin"`
	}
	spec := struct {
		Nonce string `json:"nonce"`
		Cap   int    `json:"cap"`
		Cases []c    `json:"cases"`
	}{Nonce: h.filter.nonce, Cap: caseCap}
	for _, t := range h.cases {
		spec.Cases = append(spec.Cases, c{Name: t.Name, Hidden: t.Hidden, Stdin: t.Stdin})
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return req, err
	}
	lang := req.Language
	lang.Run = append([]string{h.python, "-I", "-S", "-u", casesFile, "--"}, lang.Run...)
	req.Language = lang
	req.Files = append(append([]sandbox.File(nil), req.Files...), sandbox.File{Name: casesFile, Content: casesSource})
	req.Stdin = bytes.NewReader(in)
	h.filter.out = req.Stdout
	req.Stdout = h.filter
	// Each case's output rides in a verdict line (JSON-escaped: up to 6
	// characters per byte for control characters).
	req.Limits.OutputChars += frameBudget + len(h.cases)*6*caseCap
	return req, nil
}

// judgeCase compares one case's output with the expected text. Hidden
// cases say that the output differs and never what was expected.
func judgeCase(t content.Tests, stdout string, cut bool, exitCode int) (bool, string) {
	if exitCode != 0 {
		return false, fmt.Sprintf("the program exited with code %d", exitCode)
	}
	if cut {
		return false, fmt.Sprintf("the program printed more than %d bytes", caseCap)
	}
	ok := false
	switch t.Match {
	case content.MatchExact:
		ok = stdout == t.Code
	case content.MatchRegex:
		re, err := regexp.Compile(`\A(?:` + t.Code + `)\z`)
		ok = err == nil && re.MatchString(stdout)
		if !ok && err == nil && strings.HasSuffix(t.Code, "\n") {
			// A fence's text ends with a newline the author did not mean
			// as part of the expression.
			if re, err := regexp.Compile(`\A(?:` + strings.TrimSuffix(t.Code, "\n") + `)\n?\z`); err == nil {
				ok = re.MatchString(stdout)
			}
		}
	default:
		ok = trimmed(stdout) == trimmed(t.Code)
	}
	if ok {
		return true, ""
	}
	if t.Hidden {
		return false, "the output differs from the expected output; got " + quoteShort(stdout)
	}
	return false, "expected " + quoteShort(t.Code) + ", got " + quoteShort(stdout)
}

// trimmed drops trailing spaces on each line and blank lines at the end.
func trimmed(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

func quoteShort(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return fmt.Sprintf("%q", s)
}
