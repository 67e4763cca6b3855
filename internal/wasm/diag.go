package wasm

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Diagnostic is one compiler message about the learner's file.
type Diagnostic struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"` // error | warning
	Message  string `json:"message"`
}

var (
	// clang: "main.c:3:5: error: message" (column optional).
	clangLine = regexp.MustCompile(`^(?:\./)?([^:\s]+):(\d+):(?:(\d+):)? (fatal error|error|warning): (.*)$`)
	// rustc names the place on the line after the message:
	//   error[E0308]: mismatched types
	//    --> main.rs:2:18
	rustHead = regexp.MustCompile(`^(error|warning)(?:\[[A-Z0-9]+\])?: (.*)$`)
	rustAt   = regexp.MustCompile(`^\s*--> (?:\./)?([^:\s]+):(\d+):(\d+)$`)
)

// ParseDiagnostics reads clang's or rustc's messages about file (messages
// about headers, the linker or the command line are left out: they have no
// place in the learner's editor). Columns arrive as bytes and leave as
// characters of source.
func ParseDiagnostics(stderr, file, source string) []Diagnostic {
	lines := strings.Split(source, "\n")
	var out []Diagnostic
	var sev, msg string
	for _, text := range strings.Split(stderr, "\n") {
		text = strings.TrimRight(text, "\r")
		if m := clangLine.FindStringSubmatch(text); m != nil {
			sev = ""
			if m[1] != file {
				continue
			}
			line, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			out = append(out, Diagnostic{Line: line, Column: charColumn(lines, line, col), Severity: severity(m[4]), Message: m[5]})
			continue
		}
		if m := rustHead.FindStringSubmatch(text); m != nil {
			sev, msg = m[1], m[2]
			continue
		}
		if m := rustAt.FindStringSubmatch(text); m != nil && sev != "" {
			if m[1] == file {
				line, _ := strconv.Atoi(m[2])
				col, _ := strconv.Atoi(m[3])
				out = append(out, Diagnostic{Line: line, Column: charColumn(lines, line, col), Severity: sev, Message: msg})
			}
			sev = ""
		}
	}
	return out
}

func severity(kind string) string {
	if kind == "warning" {
		return "warning"
	}
	return "error"
}

func charColumn(lines []string, line, byteCol int) int {
	if line < 1 || line > len(lines) || byteCol < 1 {
		return max(byteCol, 0)
	}
	text := lines[line-1]
	n := min(byteCol-1, len(text))
	return utf8.RuneCountInString(text[:n]) + 1 + (byteCol - 1 - n)
}
