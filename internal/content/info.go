package content

import (
	"errors"
	"fmt"
	"strings"
)

// Attr is one attribute of a fence's info string. Flag attributes such as
// "runnable" have HasValue false.
type Attr struct {
	Key      string
	Value    string
	HasValue bool
}

// Info is a parsed fence info string such as
// `python {runnable id=hello title="Hello, world"}`.
type Info struct {
	Language string
	Attrs    []Attr
}

// Get returns the attribute named key.
func (in Info) Get(key string) (Attr, bool) {
	for _, a := range in.Attrs {
		if a.Key == key {
			return a, true
		}
	}
	return Attr{}, false
}

// ParseInfo parses a fence info string: a language word followed by
// attributes, either inside braces (the common Markdown convention) or bare.
// Attributes are separated by spaces or commas and take the forms `flag`,
// `key=value`, `key="double quoted"` (with \n \t \" \\ escapes) and
// `key='single quoted'` (literal).
func ParseInfo(s string) (Info, error) {
	p := infoParser{s: s}
	p.skipSpace()
	start := p.i
	for p.i < len(p.s) && !isSpace(p.s[p.i]) && p.s[p.i] != '{' {
		p.i++
	}
	info := Info{Language: p.s[start:p.i]}
	p.skipSpace()
	braced := p.i < len(p.s) && p.s[p.i] == '{'
	if braced {
		p.i++
	}
	seen := map[string]bool{}
	for {
		p.skipSep()
		if p.i >= len(p.s) {
			if braced {
				return info, errors.New("missing closing } in code block attributes")
			}
			return info, nil
		}
		if braced && p.s[p.i] == '}' {
			p.i++
			p.skipSpace()
			if p.i < len(p.s) {
				return info, fmt.Errorf("unexpected text %q after }", p.s[p.i:])
			}
			return info, nil
		}
		a, err := p.attr()
		if err != nil {
			return info, err
		}
		if seen[a.Key] {
			return info, fmt.Errorf("duplicate attribute %q", a.Key)
		}
		seen[a.Key] = true
		info.Attrs = append(info.Attrs, a)
	}
}

type infoParser struct {
	s string
	i int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == ':'
}

func (p *infoParser) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *infoParser) skipSep() {
	for p.i < len(p.s) && (isSpace(p.s[p.i]) || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *infoParser) attr() (Attr, error) {
	start := p.i
	for p.i < len(p.s) && isKeyByte(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		return Attr{}, fmt.Errorf("unexpected %q in code block attributes", p.s[p.i:p.i+1])
	}
	a := Attr{Key: p.s[start:p.i]}
	if p.i >= len(p.s) || p.s[p.i] != '=' {
		return a, nil
	}
	p.i++
	a.HasValue = true
	if p.i >= len(p.s) {
		return a, nil
	}
	var err error
	switch p.s[p.i] {
	case '"':
		a.Value, err = p.doubleQuoted()
	case '\'':
		end := strings.IndexByte(p.s[p.i+1:], '\'')
		if end < 0 {
			return a, fmt.Errorf("unterminated quoted value for %q", a.Key)
		}
		a.Value = p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
	default:
		start := p.i
		for p.i < len(p.s) && !isSpace(p.s[p.i]) && p.s[p.i] != ',' && p.s[p.i] != '}' &&
			p.s[p.i] != '"' && p.s[p.i] != '\'' {
			p.i++
		}
		a.Value = p.s[start:p.i]
	}
	if err != nil {
		return a, fmt.Errorf("%w for %q", err, a.Key)
	}
	return a, nil
}

// doubleQuoted reads a "..." value starting at p.i. Unknown escapes keep
// their backslash so Windows-style paths and regexes survive as written.
func (p *infoParser) doubleQuoted() (string, error) {
	var b strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\' && p.i+1 < len(p.s):
			p.i++
			switch e := p.s[p.i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '"', '\\':
				b.WriteByte(e)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", errors.New("unterminated quoted value")
}
