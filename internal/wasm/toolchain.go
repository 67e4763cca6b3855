// Package wasm is the `wasm` environment: C, C++ and Rust compiled to
// WebAssembly/WASI inside the sandbox (the compiler is untrusted input's
// first reader), cached by content, and run either in the learner's browser
// or on the server with wazero.
package wasm

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// Toolchain compiles one language to a WASI module inside the sandbox.
// Argv runs in /box with the source in FileName and must leave main.wasm.
// It is data so that a language descriptor can later supply it.
type Toolchain struct {
	Language string
	FileName string
	Argv     []string
	// VersionArgv prints the compiler's version on its first line; it runs
	// on the host (the compiler binary is trusted, the source is not).
	VersionArgv []string
	// Needs are files whose absence means the target's libraries are not
	// installed (the compiler alone can't link a WASI program).
	Needs []string
}

// moduleName is the file every toolchain writes.
const moduleName = "main.wasm"

// DefaultToolchains are Debian's: clang 14 with wasi-libc and compiler-rt
// for wasm32, libc++ for C++, and rustc's wasm32-wasi standard library.
// -s and -C strip keep the module small: it crosses the network to the
// browser, and debug sections are most of an unstripped Rust module (5.8 MB
// vs 80 KB for hello).
func DefaultToolchains() []Toolchain {
	return []Toolchain{
		{
			Language: "c", FileName: "main.c",
			Argv:        []string{"/usr/bin/clang-14", "--target=wasm32-wasi", "--sysroot=/usr", "-std=c17", "-O2", "-s", "-Wall", "-o", moduleName, "main.c", "-lm"},
			VersionArgv: []string{"/usr/bin/clang-14", "--version"},
			Needs:       []string{"/usr/lib/wasm32-wasi/libc.a", "/usr/bin/wasm-ld-14"},
		},
		{
			Language: "c++", FileName: "main.cpp",
			// WASI has no exception runtime in Debian's libc++abi build.
			Argv:        []string{"/usr/bin/clang++-14", "--target=wasm32-wasi", "--sysroot=/usr", "-std=c++17", "-O2", "-s", "-Wall", "-fno-exceptions", "-o", moduleName, "main.cpp"},
			VersionArgv: []string{"/usr/bin/clang++-14", "--version"},
			Needs:       []string{"/usr/lib/wasm32-wasi/libc++.a", "/usr/bin/wasm-ld-14"},
		},
		{
			Language: "rust", FileName: "main.rs",
			Argv:        []string{"/usr/bin/rustc", "--target", "wasm32-wasi", "--edition", "2021", "-O", "-C", "strip=symbols", "-o", moduleName, "main.rs"},
			VersionArgv: []string{"/usr/bin/rustc", "--version"},
			Needs:       []string{"/usr/lib/rustlib/wasm32-wasi/lib"},
		},
	}
}

// Probe is what the host says about one toolchain.
type Probe struct {
	Language string `json:"language"`
	Version  string `json:"version,omitempty"`
	OK       bool   `json:"ok"`
	Reason   string `json:"reason,omitempty"`
}

// probe runs the version command and checks the target libraries.
func (t Toolchain) probe(ctx context.Context) Probe {
	p := Probe{Language: t.Language}
	for _, f := range t.Needs {
		if _, err := os.Stat(f); err != nil {
			p.Reason = "missing " + f
			return p
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, t.VersionArgv[0], t.VersionArgv[1:]...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	out, err := cmd.Output()
	if err != nil {
		p.Reason = t.VersionArgv[0] + ": " + err.Error()
		return p
	}
	p.Version, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	p.OK = true
	return p
}

// language is the sandbox form of the compile: the compiler as the compile
// step, then base64 of the module as the "program", so the module leaves the
// sandbox as text on stdout through the existing runtime (no new channel
// out of the sandbox; the output cap and limits apply as to any run).
func (t Toolchain) language(version string) sandbox.Language {
	return sandbox.Language{
		Name: "wasm-" + t.Language, Version: version, FileName: t.FileName,
		Compile: t.Argv,
		Run:     []string{"/usr/bin/base64", "-w0", moduleName},
	}
}
