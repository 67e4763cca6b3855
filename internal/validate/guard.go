package validate

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/pycompile"
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
	// GuardFileName is the guard's source name in /box, next to main.py;
	// compiled, it is GuardFileName+"c".
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
	ConfineFiles      bool     `json:"confine_files"`
}

// Guards reports whether p denies anything the run-time guard enforces:
// syntax-only policies and one that allows every import and builtin run
// without it.
func (p Policy) Guards() bool {
	if p.SyntaxOnly {
		return false
	}
	return !p.AllowAllImports || len(p.DeniedImports) > 0 || len(p.DeniedCalls) > 0 || p.FlagDunderEscapes || p.ConfineFiles
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
		ConfineFiles: p.ConfineFiles,
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

// Guard returns the guard for the named policy ("" = the default) as a
// file for /box, or an empty name when that policy needs none. It is
// compiled once per policy, with the interpreter the sandbox runs (the
// sandbox binds the host's /usr): compiling ~300 lines costs about as many
// instructions as starting Python, and a .pyc only needs loading. If that
// fails, the source is used.
func (v *Validator) Guard(policy string) (name string, content []byte, err error) {
	if policy == "" {
		policy = v.defaultPolicy
	}
	p, ok := v.policies[policy]
	if !ok {
		return "", nil, fmt.Errorf("%w: %q", ErrUnknownPolicy, policy)
	}
	if c, ok := v.guards.Load(policy); ok {
		g := c.(guardFile)
		return g.name, g.content, nil
	}
	src, err := p.GuardScript()
	if err != nil || src == nil {
		return "", nil, err
	}
	g := finishGuard(v.pythonPath, GuardFileName, src)
	v.guards.Store(policy, g)
	return g.name, g.content, nil
}

// Starter returns the start script (StartScript) for the validator's
// Python, made once: runs whose policy needs no guard start through it,
// so that every Python run starts the one same way.
func (v *Validator) Starter() (name string, content []byte) {
	v.startOnce.Do(func() { v.start.name, v.start.content = StartScript(v.pythonPath) })
	return v.start.name, v.start.content
}

// StartScript returns guard.py without a policy, compiled by python like
// a guard: it starts warm sandboxes of runs that need no guard (see the
// front door's run pool), exactly as a guard starts main.py.
func StartScript(python string) (name string, content []byte) {
	src := bytes.Replace(guardScript, guardMarker, []byte("POLICY = None\n"), 1)
	g := finishGuard(python, StartFileName, src)
	return g.name, g.content
}

// StartFileName is the policy-less guard's source name in /box.
const StartFileName = "runblock_start.py"

type guardFile struct {
	name    string
	content []byte
}

// finishGuard writes what python's site sets up into a guard's source and
// compiles it into a .pyc for python, named name+"c"; if that fails, the
// source is used.
func finishGuard(python, name string, src []byte) guardFile {
	if site, err := siteOf(python); err == nil {
		src = bytes.Replace(src, siteMarker, append(append([]byte("SITE = "), site...), '\n'), 1)
	}
	if pyc, err := pycompile.Script(python, "/box/"+name, src); err == nil {
		return guardFile{name: name + "c", content: pyc}
	}
	return guardFile{name: name, content: src}
}

// siteMarker is the line of guard.py that python's site set-up replaces.
var siteMarker = []byte("SITE = None  # runblock:site\n")

var siteCache sync.Map // python path -> JSON for guard.py's SITE

// siteQuery is runblock's own (never a learner's): after site has run, its
// site-packages and the packages its nspkg.pth files made (modules whose
// code never ran: nothing but dunder names).
const siteQuery = `import json, site, sys
dirs = site.getsitepackages()
ns = {n: list(m.__path__) for n, m in sys.modules.items()
      if getattr(m, "__path__", None) and all(k.startswith("__") for k in vars(m))
      and all(any(p.startswith(d + "/") for d in dirs) for p in m.__path__)}
sys.stdout.write(json.dumps({"dirs": dirs, "namespaces": ns}))`

// siteOf asks python what site sets up at start-up: python runs with -S
// in the sandbox, and the guard does that itself (see guard.py's _site).
// The answer is JSON, which guard.py reads as a Python literal.
func siteOf(python string) ([]byte, error) {
	if d, ok := siteCache.Load(python); ok {
		return d.([]byte), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-I", "-c", siteQuery)
	cmd.Env = []string{}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("site of %s: %w", python, err)
	}
	var site struct {
		Dirs       []string            `json:"dirs"`
		Namespaces map[string][]string `json:"namespaces"`
	}
	if err := json.Unmarshal(out, &site); err != nil || site.Dirs == nil {
		return nil, fmt.Errorf("site of %s: %q: %v", python, out, err)
	}
	if site.Namespaces == nil {
		site.Namespaces = map[string][]string{} // JSON's null is no Python name
	}
	// Re-encoded: only strings, lists and objects reach the script.
	js, err := json.Marshal(site)
	if err != nil {
		return nil, err
	}
	siteCache.Store(python, js)
	return js, nil
}
