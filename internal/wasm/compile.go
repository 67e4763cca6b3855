package wasm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/runblock/runblock/internal/sandbox"
)

// MaxModuleBytes bounds a module leaving the sandbox (a hello in Rust is
// 80 KB; a learner's program is far below this).
const MaxModuleBytes = 16 << 20

// Compiled is the outcome of one compile request. A source that doesn't
// compile is a Compiled with Result.Status != success and its diagnostics,
// not an error.
type Compiled struct {
	Module      Module
	Cached      bool
	Result      sandbox.Result // the sandbox's, zero on a cache hit
	Stderr      string         // the compiler's messages (warnings too)
	Diagnostics []Diagnostic
	Version     string
}

// OK reports whether a module was produced.
func (c Compiled) OK() bool { return c.Module.Hash != "" }

// Compiler compiles in a sandbox runtime (the front door: the caller's
// context carries its admission) and caches modules by content.
type Compiler struct {
	rt     sandbox.Runtime
	cache  *Cache
	limits sandbox.Limits
	tools  map[string]Toolchain

	probeOnce sync.Once
	probes    map[string]Probe

	flight   sync.Mutex
	inflight map[string]*call

	compiles atomic.Int64
	hits     atomic.Int64
}

type call struct {
	done chan struct{}
	res  Compiled
	err  error
}

// CompilerConfig assembles a Compiler.
type CompilerConfig struct {
	Runtime    sandbox.Runtime // required
	Toolchains []Toolchain     // DefaultToolchains() when empty
	// Limits of the compile step (memory, CPU, wall time, /tmp); output and
	// file size are set here to fit a module.
	Limits     sandbox.Limits
	CacheBytes int64
}

// NewCompiler returns a compiler; it rejects a missing runtime.
func NewCompiler(cfg CompilerConfig) (*Compiler, error) {
	if cfg.Runtime == nil {
		return nil, errors.New("wasm: compiler needs a sandbox runtime")
	}
	if len(cfg.Toolchains) == 0 {
		cfg.Toolchains = DefaultToolchains()
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = 64 << 20
	}
	c := &Compiler{rt: cfg.Runtime, cache: NewCache(cfg.CacheBytes), limits: cfg.Limits, tools: map[string]Toolchain{}, inflight: map[string]*call{}}
	for _, t := range cfg.Toolchains {
		c.tools[t.Language] = t
	}
	// base64 is 4 characters per 3 bytes; the diagnostics share the cap.
	c.limits.OutputChars = MaxModuleBytes/3*4 + 64<<10
	c.limits.FileBytes = max(c.limits.FileBytes, MaxModuleBytes)
	return c, nil
}

// Probes reports each toolchain, probed once (installing one needs a restart).
func (c *Compiler) Probes(ctx context.Context) map[string]Probe {
	c.probeOnce.Do(func() {
		c.probes = map[string]Probe{}
		for name, t := range c.tools {
			c.probes[name] = t.probe(ctx)
		}
	})
	return c.probes
}

// Languages are the languages whose toolchain probed fine.
func (c *Compiler) Languages(ctx context.Context) []string {
	var out []string
	for name, p := range c.Probes(ctx) {
		if p.OK {
			out = append(out, name)
		}
	}
	return out
}

// Has reports whether language compiles here.
func (c *Compiler) Has(ctx context.Context, language string) bool {
	return c.Probes(ctx)[language].OK
}

// Stats are how many compiles ran in a sandbox and how many the cache
// answered.
func (c *Compiler) Stats() (compiles, hits int64) { return c.compiles.Load(), c.hits.Load() }

// Cache is the module cache (the HTTP handler serves modules from it).
func (c *Compiler) Cache() *Cache { return c.cache }

// key digests what decides the module's bytes.
func (t Toolchain) key(version, source string) string {
	h := sha256.New()
	for _, s := range append([]string{t.Language, version}, t.Argv...) {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	h.Write([]byte(source))
	return hex.EncodeToString(h.Sum(nil))
}

// Compile returns the module for source, compiling it in the sandbox when
// the cache doesn't have it. Concurrent compiles of one source share one
// sandbox run.
func (c *Compiler) Compile(ctx context.Context, language, source string) (Compiled, error) {
	t, ok := c.tools[language]
	p := c.Probes(ctx)[language]
	if !ok || !p.OK {
		return Compiled{}, fmt.Errorf("wasm: no toolchain for %q", language)
	}
	key := t.key(p.Version, source)
	if m, ok := c.cache.Get(key); ok {
		c.hits.Add(1)
		return Compiled{Module: m, Cached: true, Version: p.Version}, nil
	}
	c.flight.Lock()
	for {
		cl, ok := c.inflight[key]
		if !ok {
			break
		}
		c.flight.Unlock()
		select {
		case <-cl.done:
		case <-ctx.Done():
			return Compiled{Result: sandbox.Result{Status: sandbox.StatusCancelled, Stage: sandbox.StageCompile, ExitCode: -1}, Version: p.Version}, nil
		}
		// The first caller went away mid-compile: compile for this one.
		if cl.err == nil && cl.res.Result.Status == sandbox.StatusCancelled {
			c.flight.Lock()
			continue
		}
		res := cl.res
		res.Cached = res.OK()
		return res, cl.err
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[key] = cl
	c.flight.Unlock()
	cl.res, cl.err = c.compile(ctx, t, p.Version, source)
	if cl.err == nil && cl.res.OK() {
		c.cache.Put(key, cl.res.Module)
	}
	c.flight.Lock()
	delete(c.inflight, key)
	c.flight.Unlock()
	close(cl.done)
	return cl.res, cl.err
}

func (c *Compiler) compile(ctx context.Context, t Toolchain, version, source string) (Compiled, error) {
	c.compiles.Add(1)
	var stdout, stderr bytes.Buffer
	lang := t.language(version)
	lang.CompileLimits = c.limits
	res, err := c.rt.Run(ctx, sandbox.Request{
		Language: lang,
		Files:    []sandbox.File{{Content: []byte(source)}},
		Stdout:   &stdout,
		Stderr:   &stderr,
		Limits:   c.limits,
	})
	if err != nil {
		return Compiled{}, err
	}
	out := Compiled{Result: res, Stderr: stderr.String(), Version: version}
	out.Diagnostics = ParseDiagnostics(out.Stderr, t.FileName, source)
	if res.Status != sandbox.StatusSuccess {
		return out, nil
	}
	wasm, err := base64.StdEncoding.DecodeString(strings.TrimSpace(stdout.String()))
	if err != nil || len(wasm) < 8 || !bytes.HasPrefix(wasm, []byte("\x00asm")) {
		return Compiled{}, fmt.Errorf("wasm: the compile sandbox returned no module (%d bytes of output)", stdout.Len())
	}
	sum := sha256.Sum256(wasm)
	out.Module = Module{Hash: hex.EncodeToString(sum[:]), Bytes: wasm}
	return out, nil
}

// ByHash finds a cached module by its own hash.
func (c *Compiler) ByHash(hash string) (Module, bool) { return c.cache.ByHash(hash) }
