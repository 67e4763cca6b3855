package content

import (
	"fmt"
	"strconv"
	"strings"
)

type frontMatter struct {
	Title, Description string
	Order              int
	HasOrder           bool
}

// lineProblem is a Problem before the file name is known.
type lineProblem struct {
	line int
	msg  string
}

// splitFrontMatter separates a leading `---` ... `---` block from the body.
// skipped is the number of file lines before the body, so body line n is
// file line skipped+n. The accepted syntax is the flat `key: value` subset
// of YAML that lessons need; indented or list lines under a key (as other
// tools' metadata may use) are tolerated and ignored.
func splitFrontMatter(src string) (fm frontMatter, body string, skipped int, probs []lineProblem) {
	src = strings.TrimPrefix(src, "\uFEFF")
	first, rest, ok := strings.Cut(src, "\n")
	if strings.TrimRight(first, " \t\r") != "---" || !ok {
		return fm, src, 0, nil
	}
	var lines []string
	closed := false
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line = strings.TrimRight(line, "\r")
		if t := strings.TrimRight(line, " \t"); t == "---" || t == "..." {
			closed = true
			break
		}
		lines = append(lines, line)
	}
	if !closed {
		return fm, src, 0, []lineProblem{{1, "front matter is not closed by a --- line; treating it as Markdown"}}
	}
	seen := map[string]bool{}
	for i, line := range lines {
		n := i + 2 // file line: the opening --- is line 1
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' || line[0] == ' ' || line[0] == '\t' || trimmed[0] == '-' {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t\"'") {
			probs = append(probs, lineProblem{n, fmt.Sprintf("front matter: expected `key: value`, got %q", trimmed)})
			continue
		}
		v, err := yamlScalar(strings.TrimSpace(val))
		if err != nil {
			probs = append(probs, lineProblem{n, fmt.Sprintf("front matter %s: %v", key, err)})
			continue
		}
		if seen[key] {
			probs = append(probs, lineProblem{n, fmt.Sprintf("front matter: duplicate key %q", key)})
			continue
		}
		seen[key] = true
		switch key {
		case "title":
			fm.Title = v
		case "description":
			fm.Description = v
		case "order":
			o, err := strconv.Atoi(v)
			if err != nil {
				probs = append(probs, lineProblem{n, fmt.Sprintf("front matter order: %q is not an integer", v)})
				continue
			}
			fm.Order, fm.HasOrder = o, true
		}
	}
	return fm, rest, len(lines) + 2, probs
}

// yamlScalar decodes a single-line YAML scalar: "double" (with escapes),
// 'single' (” for a quote) or plain, where " #" starts a comment.
func yamlScalar(v string) (string, error) {
	switch {
	case v == "":
		return "", nil
	case v[0] == '"':
		p := infoParser{s: v}
		s, err := p.doubleQuoted()
		if err != nil {
			return "", err
		}
		if tail := strings.TrimSpace(v[p.i:]); tail != "" && tail[0] != '#' {
			return "", fmt.Errorf("unexpected %q after quoted value", tail)
		}
		return s, nil
	case v[0] == '\'':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			if v[i] != '\'' {
				b.WriteByte(v[i])
				continue
			}
			if i+1 < len(v) && v[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			if tail := strings.TrimSpace(v[i+1:]); tail != "" && tail[0] != '#' {
				return "", fmt.Errorf("unexpected %q after quoted value", tail)
			}
			return b.String(), nil
		}
		return "", fmt.Errorf("unterminated quoted value")
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, nil
}
