package lang

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

//go:embed builtin.json
var builtinFS embed.FS

// Builtins returns a fresh copy of the built-in languages.
func Builtins() Set {
	b, err := builtinFS.ReadFile("builtin.json")
	if err != nil {
		panic(err) // embedded: can't happen
	}
	s := Set{}
	if err := s.UnmarshalJSON(b); err != nil {
		panic(fmt.Sprintf("lang: builtin.json: %v", err)) // TestBuiltinsValid keeps this from shipping
	}
	return s
}

// UnmarshalJSON reads descriptors over the set: a name the set has is
// changed field by field (an operator overrides a built-in's run argv
// without repeating the rest; env maps merge), a new name is added.
// Unknown fields are errors naming the language.
func (s *Set) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("languages: %w", err)
	}
	if *s == nil {
		*s = Set{}
	}
	var errs []error
	for name, msg := range raw {
		d := (*s)[name].clone()
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			errs = append(errs, fmt.Errorf("languages.%s: %w", name, err))
			continue
		}
		if d.Name == "" {
			d.Name = name
		}
		(*s)[name] = d
	}
	return errors.Join(errs...)
}

var (
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9+#_-]*$`)
	envRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Validate reports every problem of every enabled descriptor.
func (s Set) Validate() error {
	var errs []error
	owner := map[string]string{}
	for _, n := range s.Names() {
		owner[n] = n
	}
	for _, n := range s.Names() {
		d := s[n]
		bad := func(field, format string, args ...any) {
			errs = append(errs, Error{n, field, fmt.Sprintf(format, args...)})
		}
		if !nameRE.MatchString(n) {
			bad("name", "%q: use lower-case letters, digits and + # _ -", n)
		}
		if d.Name != n {
			bad("name", "%q must match its key", d.Name)
		}
		if d.FileName == "" || d.FileName != filepath.Base(d.FileName) || strings.HasPrefix(d.FileName, ".") {
			bad("file_name", "must be a plain file name such as main.py, not %q", d.FileName)
		}
		if len(d.Run) == 0 {
			bad("run", "must not be empty")
		}
		for i, a := range d.Aliases {
			if !nameRE.MatchString(a) {
				bad(fmt.Sprintf("aliases[%d]", i), "%q: use lower-case letters, digits and + # _ -", a)
			} else if o, taken := owner[a]; taken && o != n {
				bad(fmt.Sprintf("aliases[%d]", i), "%q is already the name or alias of %s", a, o)
			} else {
				owner[a] = n
			}
		}
		for i, e := range d.Extensions {
			if !strings.HasPrefix(e, ".") || len(e) < 2 || strings.ContainsAny(e, "/ ") {
				bad(fmt.Sprintf("extensions[%d]", i), "%q: want an extension such as .py", e)
			}
		}
		for k := range d.Env {
			if !envRE.MatchString(k) {
				bad("env."+k, "not a variable name")
			}
		}
		for i, p := range d.ReadOnlyPaths {
			if !filepath.IsAbs(p) || filepath.Clean(p) != p || !(strings.HasPrefix(p, "/etc/") || strings.HasPrefix(p, "/usr/")) {
				bad(fmt.Sprintf("read_only_paths[%d]", i), "%q: must be a clean absolute path under /etc or /usr", p)
			}
		}
		if p := d.VersionProbe; p != nil {
			if len(p.Argv) == 0 {
				bad("version_probe.argv", "must not be empty")
			}
			if re, err := regexp.Compile(p.Pattern); err != nil {
				bad("version_probe.pattern", "%v", err)
			} else if re.NumSubexp() < 1 {
				bad("version_probe.pattern", "needs a group around the version")
			}
		}
		if c := d.Check; c != nil {
			if err := c.validate(); err != nil {
				bad("check", "%v", err)
			}
		}
		switch d.Warm {
		case "", "python":
		default:
			bad("warm", "must be \"python\" or empty, not %q", d.Warm)
		}
	}
	if len(s.Names()) == 0 {
		errs = append(errs, errors.New("languages: at least one language is needed"))
	}
	return errors.Join(errs...)
}
