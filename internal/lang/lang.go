// Package lang describes the languages runblock runs: one descriptor per
// language says how to build and start a program, how to check its syntax,
// how to read the toolchain's version and how to tell that it works. The
// built-in descriptors are data (builtin.json); an operator adds or
// overrides one in the config's "languages" section.
package lang

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/runblock/runblock/internal/sandbox"
)

// Descriptor is one language. The embedded sandbox.Language is what the
// runtime needs (file name, compile and run argv, their limits, env and
// read-only paths); the rest serves the API, the validator and the catalog.
type Descriptor struct {
	sandbox.Language
	Display    string   `json:"display,omitempty"`    // lesson-facing name, e.g. "C++"
	Aliases    []string `json:"aliases,omitempty"`    // other names a request may use, e.g. "cpp"
	Extensions []string `json:"extensions,omitempty"` // file extensions with the dot, for `runblock run FILE`
	// VersionProbe reads the toolchain's version inside the sandbox.
	VersionProbe *Probe `json:"version_probe,omitempty"`
	// Check is the syntax checker behind POST /validate.
	Check *Checker `json:"check,omitempty"`
	// Warm names the warm-pool form: "python" (an interpreter started
	// ahead, see frontdoor.RunPool) or "" for none.
	Warm string `json:"warm,omitempty"`
	// Hello prints "Hello, World!": the readiness probe runs it.
	Hello string `json:"hello,omitempty"`
	// Disabled removes a built-in language.
	Disabled bool `json:"disabled,omitempty"`
}

// Probe runs Argv in the sandbox; Pattern's first group, read from stdout
// and stderr together, is the version, shown after Prefix.
type Probe struct {
	Argv    []string `json:"argv"`
	Pattern string   `json:"pattern"`
	Prefix  string   `json:"prefix,omitempty"`
}

// Checker checks a snippet written to File (default: the language's file
// name). Format "python" is runblock's own checker with its policies;
// every other format is a regular expression over the tool's output (see
// Formats) with the named groups file, line, col, severity and msg.
type Checker struct {
	Argv   []string `json:"argv,omitempty"`
	File   string   `json:"file,omitempty"`
	Format string   `json:"format"`
	// Pattern replaces the format's expression (Format then only names it).
	Pattern string `json:"pattern,omitempty"`
	// ByteColumns: the tool counts columns in bytes; they are turned into
	// characters.
	ByteColumns bool `json:"byte_columns,omitempty"`
	// CaretIndent is how far the tool indents the source line it echoes
	// above a caret (^) that marks the column, when the header has none.
	CaretIndent int            `json:"caret_indent,omitempty"`
	Limits      sandbox.Limits `json:"limits,omitempty"` // over the validator's defaults
}

// Set is the configured languages by canonical name.
type Set map[string]Descriptor

// EtcPaths are the paths under /etc the languages read (their
// read_only_paths there), sorted, for the sandbox's /etc view.
func (s Set) EtcPaths() []string {
	var out []string
	for _, d := range s {
		for _, p := range d.ReadOnlyPaths {
			if strings.HasPrefix(p, "/etc/") {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Lookup finds a language by name or alias (callers lower-case what
// people type; the validator's API is case-sensitive).
func (s Set) Lookup(name string) (Descriptor, bool) {
	if d, ok := s[name]; ok && !d.Disabled {
		return d, true
	}
	for _, d := range s {
		if !d.Disabled && slices.Contains(d.Aliases, name) {
			return d, true
		}
	}
	return Descriptor{}, false
}

// ByExtension finds the language of a file name.
func (s Set) ByExtension(file string) (Descriptor, bool) {
	ext := strings.ToLower(path.Ext(file))
	for _, n := range s.Names() {
		if slices.Contains(s[n].Extensions, ext) {
			return s[n], true
		}
	}
	return Descriptor{}, false
}

// Names are the enabled languages' canonical names, sorted.
func (s Set) Names() []string {
	var names []string
	for n, d := range s {
		if !d.Disabled {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Runnable maps every enabled name and alias to what the runtime needs;
// Language.Name is always the canonical name.
func (s Set) Runnable() map[string]sandbox.Language {
	m := map[string]sandbox.Language{}
	for _, n := range s.Names() {
		d := s[n]
		m[n] = d.Language
		for _, a := range d.Aliases {
			m[a] = d.Language
		}
	}
	return m
}

// WarmNames are the languages with the given warm form.
func (s Set) WarmNames(form string) []string {
	var names []string
	for _, n := range s.Names() {
		if s[n].Warm == form {
			names = append(names, n)
		}
	}
	return names
}

// Clone copies the set deeply enough that changing one descriptor's
// slices doesn't change another set's.
func (s Set) Clone() Set {
	if s == nil {
		return nil
	}
	c := make(Set, len(s))
	for n, d := range s {
		c[n] = d.clone()
	}
	return c
}

func (d Descriptor) clone() Descriptor {
	d.Compile = slices.Clone(d.Compile)
	d.Run = slices.Clone(d.Run)
	d.ReadOnlyPaths = slices.Clone(d.ReadOnlyPaths)
	d.Aliases = slices.Clone(d.Aliases)
	d.Extensions = slices.Clone(d.Extensions)
	if d.Env != nil {
		env := make(map[string]string, len(d.Env))
		for k, v := range d.Env {
			env[k] = v
		}
		d.Env = env
	}
	if d.VersionProbe != nil {
		p := *d.VersionProbe
		p.Argv = slices.Clone(p.Argv)
		d.VersionProbe = &p
	}
	if d.Check != nil {
		c := *d.Check
		c.Argv = slices.Clone(c.Argv)
		d.Check = &c
	}
	return d
}

// DisplayName is Display, or the name when there is none.
func (d Descriptor) DisplayName() string {
	if d.Display != "" {
		return d.Display
	}
	return d.Name
}

// CheckFile is the file the checker reads.
func (c *Checker) CheckFile(d Descriptor) string {
	if c.File != "" {
		return c.File
	}
	return d.FileName
}

// Error is a problem in one descriptor, naming its field.
type Error struct{ Lang, Field, Problem string }

func (e Error) Error() string {
	return fmt.Sprintf("languages.%s.%s: %s", e.Lang, e.Field, e.Problem)
}
