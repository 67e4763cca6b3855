package catalog

import (
	"context"
	"sort"

	"github.com/runblock/runblock/internal/wasm"
)

// WasmToolchains reports the wasm environment's compilers (wasm.Compiler).
type WasmToolchains interface {
	Probes(ctx context.Context) map[string]wasm.Probe
}

// WithWasm describes the wasm environment from its toolchains; without
// it, wasm is listed as unavailable.
func (c *Catalog) WithWasm(w WasmToolchains) *Catalog {
	c.wasm = w
	return c
}

func (c *Catalog) wasmEnv(ctx context.Context) Environment {
	e := Environment{
		ID: "wasm", Name: "WebAssembly (C, C++ and Rust compiled on the server, run in the browser)", Location: "browser",
		Languages: []Language{}, Packages: []string{},
		Limits: map[string]any{
			"memory_mb": c.limits.MemoryBytes >> 20, "timeout_seconds": c.limits.WallTime.Seconds(),
			"output_chars": c.limits.OutputChars, "module_mb": wasm.MaxModuleBytes >> 20,
		},
		Capabilities: []string{
			"Compiled on the server in the sandbox (compile limits), cached by source: an unchanged block compiles once",
			"Runs in the learner's browser (WASI in a Web Worker): live output, input and Stop",
			"Or on the server in wazero through /execute with environment \"wasm\": memory, time and output limits",
		},
		Limitations: []string{
			"WASI preview 1 only: stdin, stdout, stderr, clocks and random numbers; no files, network, threads or processes",
			"C++ without exceptions (-fno-exceptions)",
			"The first run of a block waits for its compile; later runs of the same code do not",
		},
		Runtime: "wazero (server), browser WASI shim (page)",
	}
	if c.wasm == nil {
		e.Runtime = ""
		e.Limitations = []string{"Not available: this server runs without the wasm environment (wasm.disabled)."}
		return e
	}
	var missing []string
	for name, p := range c.wasm.Probes(ctx) {
		if p.OK {
			e.Languages = append(e.Languages, Language{Name: name, Version: p.Version})
		} else {
			missing = append(missing, name+": "+p.Reason)
		}
	}
	sort.Slice(e.Languages, func(i, j int) bool { return e.Languages[i].Name < e.Languages[j].Name })
	sort.Strings(missing)
	e.Available = len(e.Languages) > 0
	for _, m := range missing {
		e.Limitations = append(e.Limitations, "Toolchain not installed ("+m+"); scripts/setup.sh installs it.")
	}
	return e
}
