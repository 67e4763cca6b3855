package content

import (
	"fmt"
	"regexp"
	"strings"
)

// Test kinds. A Python block's tests are Python code (unittest TestCase
// classes and plain test_* functions); any language's block can have
// expected-output cases (the program runs with the case's stdin and its
// stdout is compared).
const (
	TestsPython = "python"
	TestsOutput = "output"
)

// Ways an output case compares the program's stdout with the expected text.
const (
	MatchExact   = "exact"   // byte for byte
	MatchTrimmed = "trimmed" // trailing spaces of each line and blank lines at the end ignored
	MatchRegex   = "regex"   // the whole output matches the expression (RE2)
)

// MaxTestsPerBlock bounds a block's test fences, so a lesson cannot make
// one submission arbitrarily expensive.
const MaxTestsPerBlock = 50

// Tests is one fence of tests tied to a runnable block:
//
//	```python {tests for=fizzbuzz}            visible Python tests
//	```python {tests for=fizzbuzz hidden}     hidden Python tests
//	```text {tests for=greet stdin="Ada\n" match=trimmed name="greets Ada"}
//	Hello, Ada!
//	```
//
// Hidden tests never leave the server: they are not in any block JSON, and
// the rendered lesson drops their fences.
type Tests struct {
	For    string
	Kind   string // TestsPython or TestsOutput
	Name   string // unique per block; defaults to "tests", "hidden tests" or "case N"
	Hidden bool
	// Code is the Python test source, or an output case's expected output.
	Code  string
	Stdin string
	Match string // output cases only
	Line  int
}

// isTestsFence reports whether an info string declares tests (its parse
// error, if any, is reported by parseTests).
func isTestsFence(infoStr string) bool {
	info, err := ParseInfo(infoStr)
	if err != nil {
		return strings.Contains(infoStr, "tests")
	}
	_, ok := info.Get("tests")
	return ok
}

// parseTests interprets a tests fence's info string.
func parseTests(infoStr string, line int, report func(string)) (Tests, bool) {
	info, err := ParseInfo(infoStr)
	if err != nil {
		report(fmt.Sprintf("bad tests attributes: %v; tests skipped", err))
		return Tests{}, false
	}
	t := Tests{Line: line}
	lang := strings.ToLower(info.Language)
	switch lang {
	case "python", "py":
		t.Kind = TestsPython
	case "text", "txt", "output", "":
		t.Kind = TestsOutput
		t.Match = MatchTrimmed
	default:
		report(fmt.Sprintf("tests in %q: write Python tests in a python fence or expected output in a text fence; tests skipped", info.Language))
		return Tests{}, false
	}
	for _, a := range info.Attrs {
		switch a.Key {
		case "tests":
		case "for":
			t.For = a.Value
		case "hidden":
			t.Hidden = a.Value == "" || a.Value == "true"
			if a.HasValue && a.Value != "true" && a.Value != "false" {
				report(fmt.Sprintf("hidden=%q is not true or false; tests skipped", a.Value))
				return Tests{}, false
			}
		case "name":
			t.Name = a.Value
		case "stdin", "match":
			if t.Kind != TestsOutput {
				report(fmt.Sprintf("%s= is for expected-output cases (a text fence); tests skipped", a.Key))
				return Tests{}, false
			}
			if a.Key == "stdin" {
				t.Stdin = a.Value
			} else {
				t.Match = a.Value
			}
		default:
			report(fmt.Sprintf("unknown tests attribute %q ignored", a.Key))
		}
	}
	switch {
	case t.For == "":
		report("tests block has no for= naming its runnable block; tests skipped")
		return Tests{}, false
	case len(t.Name) > 100:
		report("tests name is longer than 100 characters; tests skipped")
		return Tests{}, false
	}
	if t.Kind == TestsOutput {
		switch t.Match {
		case MatchExact, MatchTrimmed:
		case MatchRegex:
		default:
			report(fmt.Sprintf("match=%q must be exact, trimmed or regex; tests skipped", t.Match))
			return Tests{}, false
		}
	}
	return t, true
}

// checkCode checks the fence's text once it is known. A regex is compiled
// at load time so that a typo is the author's error, not every learner's
// failed submission.
func (t Tests) checkCode() error {
	if t.Kind == TestsOutput && t.Match == MatchRegex {
		if _, err := regexp.Compile(t.Code); err != nil {
			return fmt.Errorf("match=regex: %v; tests skipped", err)
		}
	}
	return nil
}

// attachTests ties each tests fence to its block. A fence naming no block,
// a name used twice for one block, or tests of the wrong kind for the
// block's language are problems at the fence's line.
func attachTests(l *Lesson, pending []Tests, report func(line int, format string, args ...any)) {
	index := map[string]int{}
	for i, b := range l.Blocks {
		index[b.ID] = i
	}
	names := map[string]map[string]int{}
	for _, t := range pending {
		i, ok := index[t.For]
		if !ok {
			report(t.Line, "tests for=%q: no runnable block with that id in this lesson", t.For)
			continue
		}
		b := &l.Blocks[i]
		if t.Kind == TestsPython && b.Language != "python" {
			report(t.Line, "tests for=%q: Python tests need a python block, not %s; use expected-output cases (a text fence)", t.For, b.Language)
			continue
		}
		if len(b.Tests) >= MaxTestsPerBlock {
			report(t.Line, "tests for=%q: more than %d tests blocks; tests skipped", t.For, MaxTestsPerBlock)
			continue
		}
		if t.Name == "" {
			t.Name = defaultTestsName(t, b.Tests)
		}
		if names[b.ID] == nil {
			names[b.ID] = map[string]int{}
		}
		if first, dup := names[b.ID][t.Name]; dup {
			report(t.Line, "duplicate tests %q for block %q (first on line %d); tests skipped", t.Name, t.For, first)
			continue
		}
		names[b.ID][t.Name] = t.Line
		b.Tests = append(b.Tests, t)
	}
}

func defaultTestsName(t Tests, have []Tests) string {
	if t.Kind == TestsOutput {
		n := 1
		for _, h := range have {
			if h.Kind == TestsOutput {
				n++
			}
		}
		return fmt.Sprintf("case %d", n)
	}
	if t.Hidden {
		return "hidden tests"
	}
	return "tests"
}

// HasTests reports whether the block is an exercise.
func (b Block) HasTests() bool { return len(b.Tests) > 0 }

// VisibleTests are the tests a learner may see.
func (b Block) VisibleTests() []Tests {
	var out []Tests
	for _, t := range b.Tests {
		if !t.Hidden {
			out = append(out, t)
		}
	}
	return out
}
