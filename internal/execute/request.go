// Package execute is the run use case: check the request, admit it
// (capacity), run it in the sandbox and report the outcome. HTTP handlers and
// the CLI call it; it knows nothing about HTTP.
package execute

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/sandbox"
)

// Environments a request may name. "docker" is the seed's name for the
// server sandbox; "pyodide" is the browser runtime, which the server can't
// offer, so it runs the code in its own Python sandbox and says so.
const (
	EnvServer  = "server"
	EnvDocker  = "docker"
	EnvPyodide = "pyodide"
)

// Request is one execution as a client asks for it.
type Request struct {
	Code        string  `json:"code"`
	Language    string  `json:"language"`
	Environment string  `json:"environment"`
	Timeout     float64 `json:"timeout"` // seconds
	Stdin       *string `json:"stdin"`
	ContentID   string  `json:"content_id"`
	CodeBlockID string  `json:"code_block_id"`
}

// Prepared is a request that passed every check, with defaults applied.
type Prepared struct {
	Request
	Lang     sandbox.Language
	Limits   sandbox.Limits
	Warnings []string
	// runtime runs it when its environment has its own (WithEnvironments).
	runtime sandbox.Runtime
}

func (s *Service) prepare(req Request) (Prepared, error) {
	p := Prepared{Request: req}
	if p.Language == "" {
		p.Language = "python"
	}
	p.Language = strings.ToLower(p.Language)
	if routed, err := s.containerEnv(&p); err != nil {
		return p, err
	} else if routed {
		return s.prepareCommon(p)
	}
	lang, ok := s.langs[p.Language]
	if strings.EqualFold(p.Environment, EnvWasm) {
		// wasm has its own toolchains: its languages need not run natively.
		if err := s.wasmLanguage(p.Language); err != nil {
			return p, err
		}
		lang, ok = sandbox.Language{Name: p.Language}, true
	}
	if !ok {
		return p, apperr.New(apperr.Invalid, "unknown_language", "unknown language %q (valid: %s)", req.Language, strings.Join(s.LanguageNames(), ", "))
	}
	p.Lang = lang
	if lang.Name != "" {
		p.Language = lang.Name // an alias ("js") runs, and is recorded, as its language
	}
	switch strings.ToLower(p.Environment) {
	case EnvWasm:
		p.Environment = EnvWasm
	case "", EnvServer, EnvDocker:
		p.Environment = EnvServer
	case EnvPyodide:
		if p.Language != "python" {
			return p, apperr.New(apperr.Invalid, "unsupported_environment", "environment pyodide runs only python, not %s", p.Language)
		}
		p.Environment = EnvServer
		p.Warnings = append(p.Warnings, "pyodide runs in the learner's browser; this request ran in the server's Python sandbox instead")
	default:
		return p, apperr.New(apperr.Invalid, "unknown_environment", "unknown environment %q (valid: %s)", req.Environment, strings.Join(s.EnvironmentNames(), ", "))
	}
	return s.prepareCommon(p)
}

// prepareCommon checks what every environment checks alike.
func (s *Service) prepareCommon(p Prepared) (Prepared, error) {
	if len(p.Code) > s.cfg.MaxCodeBytes {
		return p, apperr.New(apperr.TooLarge, "code_too_large", "code is %d bytes; the limit is %d", len(p.Code), s.cfg.MaxCodeBytes)
	}
	if err := CheckCodeText(p.Code); err != nil {
		return p, err
	}
	if p.Stdin != nil && len(*p.Stdin) > s.cfg.MaxStdinBytes {
		return p, apperr.New(apperr.TooLarge, "stdin_too_large", "stdin is %d bytes; the limit is %d", len(*p.Stdin), s.cfg.MaxStdinBytes)
	}
	p.Limits = s.cfg.Limits
	maxT := float64(s.cfg.MaxTimeout / time.Second)
	switch {
	case p.Timeout == 0:
	case p.Timeout < 1 || p.Timeout > maxT:
		return p, apperr.New(apperr.Invalid, "invalid_timeout", "timeout must be between 1 and %g seconds, not %g", maxT, p.Timeout)
	default:
		p.Limits.WallTime = time.Duration(p.Timeout * float64(time.Second))
	}
	if len(p.ContentID) > 200 || len(p.CodeBlockID) > 200 {
		return p, apperr.New(apperr.Invalid, "invalid_reference", "content_id and code_block_id are at most 200 characters")
	}
	return p, nil
}

// CheckCodeText refuses code that is blank or not text; /execute and
// /validate answer it alike.
func CheckCodeText(code string) error {
	switch {
	case strings.TrimSpace(code) == "":
		return apperr.New(apperr.Invalid, "empty_code", "code must not be empty")
	case !utf8.ValidString(code):
		return apperr.New(apperr.Invalid, "invalid_encoding", "code must be UTF-8 text")
	case strings.IndexByte(code, 0) >= 0:
		return apperr.New(apperr.Invalid, "invalid_encoding", "code must not contain NUL bytes")
	}
	return nil
}

// EnvironmentNames lists the environments a request may name.
func (s *Service) EnvironmentNames() []string {
	var extra []string
	for n := range s.envs {
		if n != EnvDocker {
			extra = append(extra, n)
		}
	}
	slices.Sort(extra)
	names := []string{EnvServer, EnvDocker, EnvPyodide}
	if s.wasm != nil {
		names = append(names, EnvWasm)
	}
	return append(names, extra...)
}

// LanguageNames lists the configured languages, sorted.
func (s *Service) LanguageNames() []string {
	names := make([]string, 0, len(s.langs))
	for n, l := range s.langs {
		if l.Name == "" || l.Name == n { // aliases share their language's entry
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
