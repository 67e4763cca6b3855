package validate

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// The run-time guard: a Python script that runs the learner's main.py
// behind an audit hook enforcing the policy (see guard.py for what it
// refuses and why). The static check is the fast, friendly first answer;
// the guard is what holds when a spelling gets past it.
//
//go:embed guard.py
var guardScript []byte

// Names and markers shared with the execute service.
const (
	// GuardFileName is the guard's name in /box, next to main.py.
	GuardFileName = "runblock_guard.py"
	// GuardExitCode is the exit status of a run the guard stopped.
	GuardExitCode = 97
	// GuardLinePrefix starts the one stderr line saying what was refused.
	GuardLinePrefix = "runblock-policy: "
)

// guardMarker is the line of guard.py the policy replaces.
var guardMarker = []byte("POLICY = {}  # runblock:policy\n")

// guardPolicy is what the guard reads: the lists, not the teaching options.
type guardPolicy struct {
	Name              string   `json:"name"`
	AllowedImports    []string `json:"allowed_imports"`
	AllowAllImports   bool     `json:"allow_all_imports"`
	DeniedImports     []string `json:"denied_imports"`
	DeniedCalls       []string `json:"denied_calls"`
	FlagDunderEscapes bool     `json:"flag_dunder_escapes"`
}

// Guards reports whether p denies anything the run-time guard enforces:
// syntax-only policies and one that allows every import and builtin run
// without it.
func (p Policy) Guards() bool {
	if p.SyntaxOnly {
		return false
	}
	return !p.AllowAllImports || len(p.DeniedImports) > 0 || len(p.DeniedCalls) > 0 || p.FlagDunderEscapes
}

// GuardScript returns guard.py with p's lists written into it, or nil when
// p needs no guard.
func (p Policy) GuardScript() ([]byte, error) {
	if !p.Guards() {
		return nil, nil
	}
	g := guardPolicy{
		Name: p.Name, AllowedImports: p.AllowedImports, AllowAllImports: p.AllowAllImports,
		DeniedImports: p.DeniedImports, DeniedCalls: p.DeniedCalls, FlagDunderEscapes: p.FlagDunderEscapes,
	}
	for _, l := range []*[]string{&g.AllowedImports, &g.DeniedImports, &g.DeniedCalls} {
		if *l == nil {
			*l = []string{}
		}
	}
	// JSON is a Python expression once true/false/null are names (guard.py
	// binds them), and Go escapes every character that could end the line.
	js, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("validate: encode guard policy: %w", err)
	}
	i := bytes.Index(guardScript, guardMarker)
	if i < 0 {
		return nil, fmt.Errorf("validate: guard.py lacks its policy line")
	}
	out := make([]byte, 0, len(guardScript)+len(js))
	out = append(out, guardScript[:i]...)
	out = append(out, "POLICY = "...)
	out = append(out, js...)
	out = append(out, '\n')
	out = append(out, guardScript[i+len(guardMarker):]...)
	return out, nil
}

// Guard returns the guard for the named policy ("" = the default), or nil
// when that policy needs none.
func (v *Validator) Guard(policy string) ([]byte, error) {
	if policy == "" {
		policy = v.defaultPolicy
	}
	p, ok := v.policies[policy]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownPolicy, policy)
	}
	return p.GuardScript()
}
