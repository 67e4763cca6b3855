package execute

import (
	"context"
	"slices"
	"strings"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/frontdoor"
	"github.com/runblock/runblock/internal/wasm"
)

// EnvWasm is C, C++ and Rust compiled to WebAssembly: run by the server in
// wazero through /execute, or by the learner's browser after /wasm/compile.
const EnvWasm = "wasm"

// WasmEnv is the wasm environment as the service uses it (wasm.Env).
type WasmEnv interface {
	Languages(ctx context.Context) []string
	Has(ctx context.Context, language string) bool
	Cached(ctx context.Context, language, code string) (wasm.Compiled, bool)
	Compile(ctx context.Context, language, code string) (wasm.Compiled, error)
	Run(ctx context.Context, language, code string, req sandbox.Request) (sandbox.Result, error)
}

// WithWasm enables the wasm environment.
func (s *Service) WithWasm(w WasmEnv) *Service { s.wasm = w; return s }

// wasmLanguage checks that language compiles to wasm here.
func (s *Service) wasmLanguage(language string) error {
	ctx := context.Background()
	if s.wasm == nil {
		return apperr.New(apperr.Invalid, "unsupported_environment", "environment wasm is not available on this server")
	}
	if !s.wasm.Has(ctx, language) {
		names := s.wasm.Languages(ctx)
		slices.Sort(names)
		return apperr.New(apperr.Invalid, "unsupported_environment", "environment wasm runs %s, not %q", strings.Join(names, ", "), language)
	}
	return nil
}

// CompileWasm compiles code for the browser. It is counted and admitted
// like a run (a compile is a sandbox run), except when the module is
// cached: then it costs the machine nothing and answers at once.
func (s *Service) CompileWasm(ctx context.Context, who Caller, language, code string) (wasm.Compiled, *ratelimit.Decision, error) {
	language = strings.ToLower(language)
	if err := s.wasmLanguage(language); err != nil {
		return wasm.Compiled{}, nil, err
	}
	if len(code) > s.cfg.MaxCodeBytes {
		return wasm.Compiled{}, nil, apperr.New(apperr.TooLarge, "code_too_large", "code is %d bytes; the limit is %d", len(code), s.cfg.MaxCodeBytes)
	}
	if err := CheckCodeText(code); err != nil {
		return wasm.Compiled{}, nil, err
	}
	if _, err := s.checkQuota(ctx, who, runQuota, false); err != nil {
		return wasm.Compiled{}, nil, err
	}
	if c, ok := s.wasm.Cached(ctx, language, code); ok {
		quota, err := s.checkQuota(ctx, who, runQuota, true)
		return c, quota, err
	}
	ctx, release, err := s.door.Enter(ctx, frontdoor.Ticket{User: who.queueKey(), Kind: frontdoor.KindRun}, nil)
	if err != nil {
		return wasm.Compiled{}, nil, err
	}
	defer release()
	quota, err := s.checkQuota(ctx, who, runQuota, true)
	if err != nil {
		return wasm.Compiled{}, nil, err
	}
	c, err := s.wasm.Compile(ctx, language, code)
	if err != nil {
		return c, quota, &apperr.Error{Kind: apperr.Internal, Code: "sandbox_failed", Message: "the sandbox failed to compile the code", Err: err}
	}
	return c, quota, nil
}
