// Package catalog describes the execution environments truthfully: what
// each runs, where, with which limits, and whether it works right now. The
// server's facts (versions, installed packages) are read from inside the
// sandbox, not assumed.
package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
)

// Language is one language an environment runs.
type Language struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// The server's languages also say what lessons call them, which other
	// names requests may use, and whether the toolchain answered its probe.
	Display   string   `json:"display,omitempty"`
	Aliases   []string `json:"aliases,omitempty"`
	Available *bool    `json:"available,omitempty"`
	Reason    string   `json:"reason,omitempty"` // why not available
}

// Environment is one entry of GET /environments.
type Environment struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Location     string         `json:"location"` // browser | server
	Languages    []Language     `json:"languages"`
	Packages     []string       `json:"packages"`
	Limits       map[string]any `json:"limits"`
	Capabilities []string       `json:"capabilities"`
	Limitations  []string       `json:"limitations"`
	Available    bool           `json:"available"`
	AliasOf      string         `json:"alias_of,omitempty"`
	Runtime      string         `json:"runtime,omitempty"`
}

// Catalog builds and caches the list.
type Catalog struct {
	rt      sandbox.Runtime
	check   func(context.Context) sandbox.Report
	langs   lang.Set
	limits  sandbox.Limits
	runtime string
	browser Browser
	wasm    WasmToolchains // nil: no wasm environment

	mu       sync.Mutex
	facts    *facts
	report   sandbox.Report
	reportAt time.Time
	now      func() time.Time

	containers []ContainerEnv
	cfacts     map[string]*containerFacts
}

type facts struct {
	versions map[string]string
	status   map[string]langStatus // by language: did version and hello answer
	packages []string
	// complete is false when a probe gave no answer (cancelled by a client
	// that went away, timed out on a busy machine, sandbox error). Such facts
	// are probed again after recheckAfter instead of being served, empty,
	// until the server restarts.
	complete bool
	at       time.Time
}

// recheckAfter spaces sandbox probes and checks, so that the endpoint can't
// be used to load the machine.
const recheckAfter = 10 * time.Second

// New returns a catalog for the server runtime rt.
func New(rt sandbox.Runtime, check func(context.Context) sandbox.Report, runtime string, langs lang.Set, limits sandbox.Limits) *Catalog {
	return &Catalog{rt: rt, check: check, langs: langs, limits: limits, runtime: runtime, now: time.Now}
}

// WithBrowser sets what runblock serves of Pyodide (see InspectPyodide).
func (c *Catalog) WithBrowser(b Browser) *Catalog {
	c.browser = b
	return c
}

// Environments returns the catalog; the sandbox probe is cached briefly so
// the endpoint can't be used to load the machine.
func (c *Catalog) Environments(ctx context.Context) []Environment {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.facts == nil || !c.facts.complete && now.Sub(c.facts.at) > recheckAfter {
		c.facts = c.probe(ctx)
		c.facts.at = now
	}
	if c.reportAt.IsZero() || now.Sub(c.reportAt) > recheckAfter {
		c.report, c.reportAt = c.check(ctx), now
	}
	server := c.server(c.facts, c.report.Strong)
	real, others := c.containerEnvs(ctx, now)
	docker := server
	docker.ID, docker.Name, docker.AliasOf = "docker", "Docker (alias of the server sandbox)", "server"
	docker.Limitations = append(slices.Clone(server.Limitations), "No Docker engine is used: \"docker\" is accepted for compatibility and runs in the same bubblewrap sandbox as \"server\".")
	if real != nil {
		docker = *real
	}
	out := append([]Environment{pyodide(c.browser), server, docker}, others...)
	if !hasEnv(c.containers, "ros2") {
		out = append(out, missingROS2())
	}
	return append(out, c.wasmEnv(ctx))
}

func (c *Catalog) server(f *facts, available bool) Environment {
	var langs []Language
	for _, name := range c.langs.Names() {
		d := c.langs[name]
		l := Language{Name: name, Version: f.versions[name], Display: d.DisplayName(), Aliases: d.Aliases}
		if st, ok := f.status[name]; ok {
			l.Available, l.Reason = &st.available, st.reason
		}
		langs = append(langs, l)
	}
	return Environment{
		ID: "server", Name: "Server sandbox", Location: "server", Runtime: c.runtime,
		Languages: langs, Packages: f.packages,
		Limits: map[string]any{
			"memory_mb": c.limits.MemoryBytes >> 20, "cpus": c.limits.CPUs, "timeout_seconds": c.limits.WallTime.Seconds(),
			"output_chars": c.limits.OutputChars, "pids": c.limits.Pids, "tmp_mb": c.limits.TmpBytes >> 20,
		},
		Capabilities: []string{
			"Live output streaming (Server-Sent Events)", "Interactive input() while the program runs",
			"Stop at any time", packagesCapability(f.packages),
			"Compiled languages with a separate compile step",
		},
		Limitations: []string{
			"No network access", "Files written under /tmp only, and they are gone after the run",
			"Each run starts fresh: no state is kept between runs", "Counts against the per-user rate limit",
		},
		Available: available,
	}
}

// Browser limits the page applies to a Pyodide run (web/src/runner/pyodide).
const (
	browserTimeoutSeconds = 30
	browserOutputChars    = 10000
	browserStopGraceSecs  = 1
)

func pyodide(b Browser) Environment {
	e := Environment{
		ID: "pyodide", Name: "Pyodide (Python in the browser)", Location: "browser",
		Languages: []Language{{Name: "python", Version: b.Python}},
		Packages:  b.Packages,
		Limits: map[string]any{
			"timeout_seconds": browserTimeoutSeconds, "output_chars": browserOutputChars,
			"stop_grace_seconds": browserStopGraceSecs,
		},
		Capabilities: []string{
			"Runs in the learner's browser: no server load, works without a round trip",
			"Live output, interactive input() and Stop (the page must be cross-origin isolated)",
			"Each run starts in a fresh __main__: blocks don't see each other's variables",
		},
		Limitations: []string{
			"Python only. The first run waits for the runtime to load (about 6 MB compressed, once per browser).",
			"A program that ignores Stop for 1 s has its Python worker restarted.",
			"No server-side policy check: the code runs in the learner's own browser, not on the server.",
		},
		Available: b.Available,
		Runtime:   "pyodide " + b.Version,
	}
	if b.Packages == nil {
		e.Packages = []string{}
	}
	if !b.Available {
		why := b.Why
		if why == "" {
			why = "this build of runblock does not serve the Pyodide runtime"
		}
		e.Runtime = ""
		e.Limitations = []string{
			"Not available: " + why + ", so browsers can't use it.",
			"Requests that name pyodide are run in the server's Python sandbox and say so in warnings.",
		}
		return e
	}
	if len(b.Packages) == 0 {
		e.Limitations = append(e.Limitations, fmt.Sprintf("Standard library only: none of the %d packages in pyodide-lock.json (numpy, pandas, matplotlib…) has its wheel served; "+
			"such imports run on the server. An operator can serve Pyodide's full distribution with browser.pyodide_dir.", b.Listed))
	} else if len(b.Packages) < b.Listed {
		e.Limitations = append(e.Limitations, "Only the listed packages have their wheels served; imports of others run on the server.")
	}
	return e
}

// probeScript prints the interpreter's version and the installed
// distributions as JSON. It runs in the sandbox like any learner program.
const probeScript = `import json, sys, importlib.metadata as md
pk = sorted({(d.metadata["Name"] or "") + "==" + (d.version or "") for d in md.distributions() if d.metadata["Name"]})
print(json.dumps({"python": sys.version.split()[0], "packages": pk}))
`

// probe reads the facts from inside the sandbox. Only a probe that ran to
// a successful end counts: a cancelled or failed one says nothing about the
// versions, and leaves the facts incomplete.
func (c *Catalog) probe(ctx context.Context) *facts {
	f := &facts{versions: map[string]string{}, status: map[string]langStatus{}, packages: []string{}, complete: true}
	if py, ok := c.langs.Lookup("python"); ok {
		var out bytes.Buffer
		res, err := c.rt.Run(ctx, sandbox.Request{
			Language: sandbox.Language{Name: "probe", FileName: "probe.py", Run: []string{py.Run[0], "probe.py"}, Env: py.Env, ReadOnlyPaths: py.ReadOnlyPaths},
			Files:    []sandbox.File{{Content: []byte(probeScript)}},
			Stdout:   &out, Limits: sandbox.Limits{OutputChars: 1 << 20, WallTime: 10 * time.Second},
		})
		var p struct {
			Packages []string `json:"packages"`
		}
		if err == nil && res.Status == sandbox.StatusSuccess && json.Unmarshal(out.Bytes(), &p) == nil && p.Packages != nil {
			f.packages = p.Packages
		} else {
			f.complete = false
		}
	}
	c.probeLanguages(ctx, f)
	return f
}

// packagesCapability names the teaching libraries the probe actually found.
func packagesCapability(pkgs []string) string {
	var found []string
	for _, want := range []string{"numpy", "pandas", "matplotlib"} {
		for _, p := range pkgs {
			if strings.HasPrefix(strings.ToLower(p), want+"==") {
				found = append(found, want)
				break
			}
		}
	}
	if len(found) == 0 {
		return "Python standard library"
	}
	return "Python packages installed on the server (" + strings.Join(found, ", ") + ")"
}
