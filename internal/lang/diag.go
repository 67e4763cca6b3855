package lang

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Formats are the built-in diagnostic expressions by name. Groups: file
// (compared with the checked file's base name when present), line, col,
// severity (error when absent; "note" lines are dropped) and msg.
var Formats = map[string]string{
	// gcc, g++, clang and rustc --error-format=short: "main.c:3:5: error: ..."
	"gcc": `^(?:\./)?(?P<file>[^:\s]+):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<severity>fatal error|error|warning|note)(?:\[\w+\])?: (?P<msg>.*)$`,
	// go build and go vet: "./main.go:3:2: undefined: x"
	"go": `^(?:vet: )?(?:\./)?(?P<file>[^:\s]+\.go):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$`,
	// tsc --pretty false: "main.ts(3,1): error TS1005: ')' expected."
	"tsc": `^(?P<file>[^(\s]+)\((?P<line>\d+),(?P<col>\d+)\): (?P<severity>error|warning) TS\d+: (?P<msg>.*)$`,
	// node --check: "/box/main.js:2", the line, a caret, "SyntaxError: ..."
	"node": `^(?:/box/)?(?P<file>[^:\s]+\.[cm]?js):(?P<line>\d+)$`,
	// javac: "Main.java:3: error: ';' expected", the line and a caret
	"javac": `^(?P<file>[^:\s]+\.java):(?P<line>\d+): (?P<severity>error|warning): (?P<msg>.*)$`,
	// bash -n: "main.sh: line 4: syntax error: unexpected end of file"
	"bash": `^(?P<file>[^:\s]+): line (?P<line>\d+): (?P<msg>.*)$`,
	// sqlite3: "Parse error near line 2: near "SELEC": syntax error", the
	// statement indented by two and "^--- error here"
	"sqlite": `^(?:Parse|Runtime) error near line (?P<line>\d+): (?P<msg>.*)$`,
}

// Diag is one diagnostic: 1-based line and column (in characters; 0 when
// the tool gave none).
type Diag struct {
	Line, Col int
	Severity  string // "error", "fatal error" or "warning"
	Msg       string
}

func (c *Checker) expr() (*regexp.Regexp, error) {
	p := c.Pattern
	if p == "" {
		p = Formats[c.Format]
	}
	if p == "" {
		return nil, fmt.Errorf("format %q is not one of python, %s (or give a pattern)", c.Format, strings.Join(formatNames(), ", "))
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	if re.SubexpIndex("line") < 0 {
		return nil, errors.New("pattern: needs a (?P<line>...) group")
	}
	return re, nil
}

func formatNames() []string {
	names := make([]string, 0, len(Formats))
	for n := range Formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (c *Checker) validate() error {
	if c.Format == "python" {
		return nil
	}
	if len(c.Argv) == 0 {
		return errors.New("argv: must not be empty")
	}
	if c.File != "" && (strings.ContainsAny(c.File, "/\\") || strings.HasPrefix(c.File, ".")) {
		return fmt.Errorf("file: %q must be a plain file name", c.File)
	}
	_, err := c.expr()
	return err
}

var (
	caretLine  = regexp.MustCompile(`^(\s*)\^`)
	errorLater = regexp.MustCompile(`^\w*Error: (.*)$`)
)

// Parse reads the tool's output into diagnostics about file (others, about
// headers or the command line, have no place in the learner's editor).
func (c *Checker) Parse(output, file, source string) ([]Diag, error) {
	re, err := c.expr()
	if err != nil {
		return nil, err
	}
	src := strings.Split(source, "\n")
	out := strings.Split(strings.ReplaceAll(output, "\r\n", "\n"), "\n")
	group := func(m []string, name string) string {
		if i := re.SubexpIndex(name); i >= 0 {
			return m[i]
		}
		return ""
	}
	var diags []Diag
	for i, text := range out {
		m := re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		if f := group(m, "file"); f != "" && f != file && !strings.HasSuffix(f, "/"+file) {
			continue
		}
		line, err := strconv.Atoi(group(m, "line"))
		if err != nil {
			continue
		}
		d := Diag{Line: line, Severity: "error", Msg: strings.TrimSpace(group(m, "msg"))}
		switch sev := group(m, "severity"); sev {
		case "note":
			continue
		case "":
		default:
			d.Severity = sev // error, fatal error or warning
		}
		if col := group(m, "col"); col != "" {
			d.Col, _ = strconv.Atoi(col)
			if c.ByteColumns {
				d.Col = charColumn(src, line, d.Col)
			}
		} else {
			d.Col = c.caretColumn(out[i+1:])
		}
		if d.Msg == "" {
			d.Msg = laterError(out[i+1:])
		}
		diags = append(diags, d)
	}
	return diags, nil
}

// caretColumn reads the column from a caret under the echoed source line
// in the next few lines.
func (c *Checker) caretColumn(next []string) int {
	for _, l := range next[:min(len(next), 3)] {
		if m := caretLine.FindStringSubmatch(l); m != nil {
			return max(utf8.RuneCountInString(m[1])-c.CaretIndent, 0) + 1
		}
	}
	return 0
}

// laterError is node's message, a few lines after its position.
func laterError(next []string) string {
	for _, l := range next[:min(len(next), 6)] {
		if m := errorLater.FindStringSubmatch(l); m != nil {
			return strings.TrimSpace(l)
		}
	}
	return "syntax error"
}

func charColumn(lines []string, line, byteCol int) int {
	if line < 1 || line > len(lines) || byteCol < 1 {
		return byteCol
	}
	text := lines[line-1]
	n := min(byteCol-1, len(text))
	return utf8.RuneCountInString(text[:n]) + 1 + (byteCol - 1 - n)
}
