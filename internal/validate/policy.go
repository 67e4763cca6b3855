package validate

import (
	"errors"
	"fmt"
	"regexp"
)

// Policy is what an operator allows learners' Python code to do. It is
// configuration, sent as JSON to the checker script; C code gets no policy
// checks (only SyntaxOnly behaviour and Warnings apply), because the compiler
// offers no equivalent of Python's import and builtin names to police and the
// sandbox is the boundary anyway.
type Policy struct {
	Name string `json:"name"`
	// SyntaxOnly skips every policy check below; warnings still follow Warnings.
	SyntaxOnly bool `json:"syntax_only"`
	// AllowedImports are top-level module names. Empty with AllowAllImports
	// false allows none. __future__ is always allowed: it is a compiler directive.
	AllowedImports  []string `json:"allowed_imports"`
	AllowAllImports bool     `json:"allow_all_imports"`
	// DeniedImports win over AllowedImports and AllowAllImports.
	DeniedImports []string `json:"denied_imports"`
	// DeniedCalls are builtin names refused wherever they are referenced
	// (eval(...), f = eval, @eval, builtins.eval, __builtins__['eval']).
	DeniedCalls []string `json:"denied_calls"`
	// FlagDunderEscapes refuses the attribute walks that reach builtins or
	// other modules from any object (__subclasses__, __globals__, __self__,
	// frames), __builtins__ itself, and getattr/setattr/delattr with a
	// constant dunder name. The list lives in checker.py.
	FlagDunderEscapes bool `json:"flag_dunder_escapes"`
	// ConfineFiles keeps files to the sandbox's own (read /box and /tmp,
	// write /tmp) when open() itself is allowed: statically for paths
	// written as constants, and at run time by the guard for every path.
	ConfineFiles bool `json:"confine_files"`
	// Explain makes every policy message say why the rule exists and what
	// to do instead, after the short "Security violation: ... is not
	// allowed" that tools match on.
	Explain bool `json:"explain"`
	// Warnings enables teaching warnings (infinite loops, unused comparisons...).
	Warnings bool `json:"warnings"`
}

// Names of the built-in policies.
const (
	PolicyTeaching    = "teaching"
	PolicyStrict      = "strict"
	PolicySandboxOnly = "sandbox-only"
)

// DefaultPolicies returns fresh copies of the built-in policies:
//
//   - strict: the seed's policy made precise. Imports only from an allow-list
//     of pure-computation modules and the data stack the environments ship
//     (numpy, pandas, matplotlib); os, sys, subprocess and the other ways to
//     the host are denied even if a later edit allows them, and also when
//     reached through an allowed module (random._os, typing.sys). Denied builtins:
//     eval, exec, compile and __import__ (run strings as code), open (files),
//     breakpoint (debugger), globals, locals and vars (namespace dicts that
//     lead to __builtins__). input() stays allowed: lessons use it.
//     Python 2's file() is not listed: it does not exist in Python 3 and
//     "file" is a common variable name.
//   - teaching (the default): what lessons and exercise solutions use.
//     strict's allow-list plus the rest of the pure-computation standard
//     library (operator, calendar, unittest, doctest, io, threading, queue,
//     pathlib...) and open() confined to /box (read) and /tmp (read and
//     write). Processes, network, import machinery, introspection escapes
//     and files elsewhere stay denied, and every message explains itself.
//     sys stays denied: sys.modules hands out any module without an import
//     and lessons get by with input(), open(0) and exit().
//   - sandbox-only: syntax check and warnings only; the sandbox is the boundary.
func DefaultPolicies() map[string]Policy {
	return map[string]Policy{
		PolicyTeaching: {
			Name: PolicyTeaching,
			AllowedImports: []string{
				// strict's list
				"math", "random", "statistics", "itertools", "functools",
				"collections", "string", "re", "json", "datetime", "time",
				"decimal", "fractions", "typing", "dataclasses", "enum",
				"heapq", "bisect", "copy", "pprint", "textwrap",
				"numpy", "pandas", "matplotlib",
				// the rest of the computation and teaching library
				"operator", "calendar", "unittest", "doctest", "abc",
				"contextlib", "io", "threading", "queue", "concurrent",
				"cmath", "numbers", "array", "struct", "hashlib", "hmac",
				"base64", "binascii", "zlib", "difflib", "unicodedata",
				"csv", "pathlib", "keyword", "graphlib", "secrets",
				"zoneinfo", "reprlib", "html", "colorsys", "weakref",
				"types", "warnings",
			},
			DeniedImports: []string{
				"os", "sys", "subprocess", "shutil", "socket", "ctypes",
				"importlib", "builtins", "pickle", "marshal",
				"multiprocessing", "pty", "signal", "inspect", "gc", "posix",
				// the network and more of the machinery
				"urllib", "http", "ssl", "ftplib", "smtplib", "requests",
				"runpy", "pkgutil", "zipimport", "shelve", "resource",
				"fcntl", "mmap", "faulthandler",
			},
			DeniedCalls: []string{
				"eval", "exec", "compile", "__import__",
				"breakpoint", "globals", "locals", "vars",
			},
			FlagDunderEscapes: true,
			ConfineFiles:      true,
			Explain:           true,
			Warnings:          true,
		},
		PolicyStrict: {
			Name: PolicyStrict,
			AllowedImports: []string{
				"math", "random", "statistics", "itertools", "functools",
				"collections", "string", "re", "json", "datetime", "time",
				"decimal", "fractions", "typing", "dataclasses", "enum",
				"heapq", "bisect", "copy", "pprint", "textwrap",
				"numpy", "pandas", "matplotlib",
			},
			DeniedImports: []string{
				"os", "sys", "subprocess", "shutil", "socket", "ctypes",
				"importlib", "builtins", "pickle", "marshal",
				"multiprocessing", "pty", "signal", "inspect", "gc", "posix",
			},
			DeniedCalls: []string{
				"eval", "exec", "compile", "__import__", "open",
				"breakpoint", "globals", "locals", "vars",
			},
			FlagDunderEscapes: true,
			Warnings:          true,
		},
		PolicySandboxOnly: {
			Name:       PolicySandboxOnly,
			SyntaxOnly: true,
			Warnings:   true,
		},
	}
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate reports every problem, each naming the field, so that a bad
// configuration file is fixed in one pass.
func (p Policy) Validate() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name: must not be empty"))
	}
	lists := []struct {
		field string
		names []string
	}{
		{"allowed_imports", p.AllowedImports},
		{"denied_imports", p.DeniedImports},
		{"denied_calls", p.DeniedCalls},
	}
	for _, l := range lists {
		for i, n := range l.names {
			if !identifier.MatchString(n) {
				errs = append(errs, fmt.Errorf("%s[%d]: %q is not a top-level Python name", l.field, i, n))
			}
		}
		if p.SyntaxOnly && len(l.names) > 0 {
			errs = append(errs, fmt.Errorf("%s: set, but syntax_only ignores it", l.field))
		}
	}
	if p.AllowAllImports && len(p.AllowedImports) > 0 {
		errs = append(errs, errors.New("allowed_imports: set, but allow_all_imports makes it meaningless"))
	}
	if p.SyntaxOnly && (p.AllowAllImports || p.FlagDunderEscapes) {
		errs = append(errs, errors.New("syntax_only: conflicts with allow_all_imports/flag_dunder_escapes"))
	}
	if p.SyntaxOnly && p.ConfineFiles {
		errs = append(errs, errors.New("confine_files: set, but syntax_only ignores it"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("policy %q: %w", p.Name, err)
	}
	return nil
}
