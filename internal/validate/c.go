package validate

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/runblock/runblock/internal/sandbox"
)

// c checks syntax with the compiler's syntax-only mode; there are no policy
// checks for C (see Policy). gcc exits 1 when it found errors and 0 when it
// found none; anything else, or 1 without an error in main.c, is the
// compiler failing rather than the code.
func (v *Validator) c(ctx context.Context, req Request, policy Policy) (Result, error) {
	lang := sandbox.Language{Name: "c-validate", FileName: "main.c", Run: v.cArgv}
	out, err := v.run(ctx, lang, sandbox.File{Name: "main.c", Content: []byte(req.Code)}, nil)
	if err != nil {
		return Result{}, err
	}
	errs, warns := parseGCCDiagnostics(out.stderr.String(), req.Code)
	exit := out.result.ExitCode
	if exit < 0 || exit > 1 || (exit == 1 && len(errs) == 0) {
		return Result{}, fmt.Errorf("%w: %s exited with code %d%s", ErrCheckerFailed, v.cArgv[0], exit, out.stderrTail())
	}
	// gcc reports some warnings (unused variables) in reverse order.
	byPosition := func(a, b issue) int { return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column)) }
	slices.SortStableFunc(errs, byPosition)
	slices.SortStableFunc(warns, byPosition)
	// checker.py caps its report the same way; a page of errors helps no one.
	errs, warns = errs[:min(len(errs), maxIssues)], warns[:min(len(warns), maxIssues)]
	res := newResult(policy.Name)
	for _, i := range errs {
		res.addError(i)
	}
	if policy.Warnings {
		for _, i := range warns {
			res.addWarning(i)
		}
	}
	return res, nil
}

// gcc and clang both print "file:line:col: kind: message"; the column is
// optional (-fno-show-column).
var diagnostic = regexp.MustCompile(`^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning): (.*)$`)

// parseGCCDiagnostics reads diagnostics about main.c (lines about headers or
// the command line have no place in the learner's editor). Columns arrive as
// bytes (-fdiagnostics-column-unit=byte) and leave as characters.
func parseGCCDiagnostics(stderr, source string) (errs, warns []issue) {
	lines := strings.Split(source, "\n")
	for _, text := range strings.Split(stderr, "\n") {
		m := diagnostic.FindStringSubmatch(strings.TrimRight(text, "\r"))
		if m == nil || (m[1] != "main.c" && m[1] != "./main.c") {
			continue
		}
		line, err := strconv.Atoi(m[2])
		if err != nil {
			continue
		}
		col := 0
		if m[3] != "" {
			if col, err = strconv.Atoi(m[3]); err != nil {
				continue
			}
		}
		i := issue{Line: line, Column: charColumn(lines, line, col), Message: m[5], Kind: m[4]}
		if m[4] == "warning" {
			warns = append(warns, i)
		} else {
			errs = append(errs, i)
		}
	}
	return errs, warns
}

func charColumn(lines []string, line, byteCol int) int {
	if line < 1 || line > len(lines) || byteCol < 1 {
		return byteCol
	}
	text := lines[line-1]
	n := min(byteCol-1, len(text))
	return utf8.RuneCountInString(text[:n]) + 1 + (byteCol - 1 - n)
}
