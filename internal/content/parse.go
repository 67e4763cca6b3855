package content

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// md is safe for concurrent use: goldmark parsers keep no per-parse state.
var md = goldmark.New()

// ParseLesson parses one lesson's source. file is used only to label
// problems. The returned Lesson has ID, Title, Description, Order, Markdown
// and Blocks set; the caller fills in Path and ModTime.
func ParseLesson(id, file string, src []byte) (Lesson, []Problem) {
	var problems []Problem
	report := func(line int, format string, args ...any) {
		problems = append(problems, Problem{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	fm, body, skipped, fmProbs := splitFrontMatter(string(src))
	for _, p := range fmProbs {
		report(p.line, "%s", p.msg)
	}
	l := Lesson{ID: id, Title: fm.Title, Description: fm.Description,
		Order: fm.Order, HasOrder: fm.HasOrder, Markdown: body}

	source := []byte(body)
	lines := newLineIndex(source)
	doc := md.Parser().Parse(text.NewReader(source))
	heading := ""
	seen := map[string]int{}
	var tests []Tests
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level == 1 && heading == "" {
				heading = strings.TrimSpace(plainText(n, source))
			}
			return ast.WalkSkipChildren, nil
		case *ast.FencedCodeBlock:
			if n.Info == nil {
				return ast.WalkSkipChildren, nil
			}
			line := skipped + lines.line(n.Info.Segment.Start)
			if infoStr := string(n.Info.Segment.Value(source)); isTestsFence(infoStr) {
				if t, ok := parseTests(infoStr, line, func(msg string) { report(line, "%s", msg) }); ok {
					t.Code = fenceText(n, source)
					if err := t.checkCode(); err != nil {
						report(line, "%v", err)
					} else {
						tests = append(tests, t)
					}
				}
				return ast.WalkSkipChildren, nil
			}
			b, ok := parseBlock(string(n.Info.Segment.Value(source)), line, func(msg string) { report(line, "%s", msg) })
			if !ok {
				return ast.WalkSkipChildren, nil
			}
			if first, dup := seen[b.ID]; dup {
				report(line, "duplicate block id %q (first used on line %d); block skipped", b.ID, first)
				return ast.WalkSkipChildren, nil
			}
			seen[b.ID] = line
			b.Code = fenceText(n, source)
			b.Position = len(l.Blocks)
			l.Blocks = append(l.Blocks, b)
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	attachTests(&l, tests, report)
	switch {
	case l.Title != "":
	case heading != "":
		l.Title = heading
	default:
		l.Title = id
	}
	return l, problems
}

// parseBlock interprets a fence's info string. ok is false for blocks that
// are not runnable and for runnable blocks too broken to offer.
func parseBlock(infoStr string, line int, report func(string)) (Block, bool) {
	info, err := ParseInfo(infoStr)
	if err != nil {
		// A broken info string on a block that was not meant to be
		// runnable is just an unusual language tag; stay quiet about it.
		if strings.Contains(infoStr, "runnable") {
			report(fmt.Sprintf("bad code block attributes: %v; block skipped", err))
		}
		return Block{}, false
	}
	flag, ok := info.Get("runnable")
	if !ok {
		return Block{}, false
	}
	if flag.HasValue {
		on, err := strconv.ParseBool(flag.Value)
		if err != nil {
			report(fmt.Sprintf("runnable=%q is not true or false; block skipped", flag.Value))
			return Block{}, false
		}
		if !on {
			return Block{}, false
		}
	}
	b := Block{Language: strings.ToLower(info.Language), Environment: EnvAuto, Line: line}
	if b.Language == "" {
		report("runnable block has no language; block skipped")
		return Block{}, false
	}
	for _, a := range info.Attrs {
		switch a.Key {
		case "runnable":
		case "id":
			b.ID = a.Value
		case "env":
			b.Environment = a.Value
		case "title":
			b.Title = a.Value
		case "stdin":
			b.Stdin = a.Value
		case "timeout":
			t, err := strconv.Atoi(a.Value)
			if err != nil || t <= 0 || t > 3600 {
				report(fmt.Sprintf("timeout=%q must be a whole number of seconds between 1 and 3600; using the default", a.Value))
				continue
			}
			b.Timeout = t
		default:
			report(fmt.Sprintf("unknown attribute %q ignored", a.Key))
		}
	}
	switch {
	case b.ID == "":
		report("runnable block has no id; block skipped")
		return Block{}, false
	case !validBlockID(b.ID):
		report(fmt.Sprintf("block id %q must be letters, digits, '-', '_' or '.' (at most 64); block skipped", b.ID))
		return Block{}, false
	}
	switch b.Environment {
	case EnvAuto, EnvPyodide, EnvServer, EnvWasm, EnvDocker, EnvROS2:
	default:
		report(fmt.Sprintf("unknown env %q (want auto, pyodide, server, wasm, docker or ros2); block skipped", b.Environment))
		return Block{}, false
	}
	return b, true
}

func fenceText(n *ast.FencedCodeBlock, source []byte) string {
	var code strings.Builder
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		code.Write(seg.Value(source))
	}
	return code.String()
}

// plainText concatenates the literal text under n, which is what a heading
// reads as once inline markup is dropped.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range src {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (li lineIndex) line(offset int) int {
	return sort.Search(len(li), func(i int) bool { return li[i] > offset })
}
