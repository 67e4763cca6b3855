package wasm

import (
	"context"
	"io"

	"github.com/runblock/runblock/internal/sandbox"
)

// Env is the `wasm` environment on the server: compile (sandbox, cache),
// then run in wazero.
type Env struct {
	*Compiler
	Runner *Runner
}

// Run compiles code and runs it. A compile failure ends the run at the
// compile stage with the compiler's messages on stderr, as a compiled
// language in the sandbox does. Warnings are not shown: a cache hit has
// none to show, and a run must not depend on the cache.
func (e *Env) Run(ctx context.Context, language, code string, req sandbox.Request) (sandbox.Result, error) {
	c, err := e.Compile(ctx, language, code)
	if err != nil {
		return sandbox.Result{}, err
	}
	if !c.OK() {
		out := sandbox.NewOutputCap(req.Limits.OutputChars)
		w := out.Writer(req.Stderr)
		io.WriteString(w, c.Stderr)
		w.Flush()
		res := c.Result
		res.Stage = sandbox.StageCompile
		res.Truncated = out.Truncated()
		return res, nil
	}
	return e.Runner.Run(ctx, c.Module, req)
}

// Cached answers from the cache alone (no sandbox): callers use it to skip
// admission when nothing needs compiling.
func (c *Compiler) Cached(ctx context.Context, language, source string) (Compiled, bool) {
	t, ok := c.tools[language]
	p := c.Probes(ctx)[language]
	if !ok || !p.OK {
		return Compiled{}, false
	}
	m, ok := c.cache.Get(t.key(p.Version, source))
	if !ok {
		return Compiled{}, false
	}
	c.hits.Add(1)
	return Compiled{Module: m, Cached: true, Version: p.Version}, true
}
