package validate

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// at is the part of an Issue the tables pin: where and what.
type at struct {
	line, col int
	msg       string
}

func positions(issues []Issue) []at {
	out := []at{}
	for _, i := range issues {
		out = append(out, at{i.Line, i.Column, i.Message})
	}
	return out
}

func sameIssues(got []Issue, want []at) bool {
	g := positions(got)
	if len(g) != len(want) {
		return false
	}
	for i := range g {
		if g[i] != want[i] {
			return false
		}
	}
	return true
}

const violation = "Security violation: "

func deny(line, col int, what string) at { return at{line, col, violation + what + " is not allowed"} }

// strictCase is one row of strictPolicyCases.
type strictCase struct {
	name, code string
	want       []at // nil: valid
}

// strictPolicyCases pins the verdict of the strict policy on the spellings
// learners use to get around it, and on code that merely looks like them.
// TestPythonStrictPolicy checks them on the host runtime; bwrap_test.go
// checks the same table on the real sandbox (through export_test.go).
var strictPolicyCases = []strictCase{
	// imports
	{"import os", "import os", []at{deny(1, 1, "import os")}},
	{"dotted import", "import os.path", []at{deny(1, 1, "import os")}},
	{"from import", "from os import system", []at{deny(1, 1, "import os")}},
	{"from dotted import", "from os.path import join", []at{deny(1, 1, "import os")}},
	{"relative import", "from . import x", []at{{1, 1, violation + "relative imports are not allowed"}}},
	{"parent relative import", "from ..pkg import y", []at{{1, 1, violation + "relative imports are not allowed"}}},
	{"subprocess", "import subprocess", []at{deny(1, 1, "import subprocess")}},
	{"sys", "import sys", []at{deny(1, 1, "import sys")}},
	{"not on the allow-list", "import socket", []at{deny(1, 1, "import socket")}},
	{"asyncio is not allowed either", "import asyncio", []at{deny(1, 1, "import asyncio")}},
	{"one of several", "import numpy as np, os", []at{deny(1, 1, "import os")}},
	{"second line", "import math\nimport os\nfrom collections import Counter", []at{deny(2, 1, "import os")}},
	{"ctypes", "import ctypes", []at{deny(1, 1, "import ctypes")}},
	{"importlib", "import importlib\nimportlib.import_module(\"os\")",
		[]at{deny(1, 1, "import importlib"), deny(2, 1, "import importlib"), deny(2, 1, "import os")}},
	{"from importlib", "from importlib import import_module", []at{deny(1, 1, "import importlib")}},
	{"__import__ of a built string", `__import__("o"+"s")`, []at{deny(1, 1, "__import__()")}},
	// denied builtins, however spelled
	{"getattr on __builtins__", `getattr(__builtins__, "ev"+"al")("1")`,
		[]at{deny(1, 1, "eval()"), deny(1, 9, "__builtins__")}},
	{"__builtins__ dict", `__builtins__.__dict__['eval']("1")`,
		[]at{deny(1, 1, "__builtins__"), deny(1, 1, "eval()")}},
	{"__builtins__ subscript", `__builtins__['exec']("x = 1")`,
		[]at{deny(1, 1, "__builtins__"), deny(1, 1, "exec()")}},
	{"builtins module", "import builtins\nbuiltins.eval(\"1\")",
		[]at{deny(1, 1, "import builtins"), deny(2, 10, "eval()")}},
	{"eval in a lambda", `f = lambda: eval("1")`, []at{deny(1, 13, "eval()")}},
	{"exec in a function", "def run():\n    exec(\"x = 1\")", []at{deny(2, 5, "exec()")}},
	{"eval as a decorator", "@eval\ndef f():\n    pass", []at{deny(1, 2, "eval()")}},
	{"eval as a value", "e = eval", []at{deny(1, 5, "eval()")}},
	{"fullwidth letters normalise to eval", `ｅｖａｌ("1")`, []at{deny(1, 1, "eval()")}},
	{"open", `data = open("/etc/passwd").read()`, []at{deny(1, 8, "open()")}},
	{"compile", `code = compile("1", "f", "eval")`, []at{deny(1, 8, "compile()")}},
	{"globals", `g = globals()["x"]`, []at{deny(1, 5, "globals()")}},
	{"locals in a method", "class Greeter:\n    def hello(self):\n        return locals()", []at{deny(3, 16, "locals()")}},
	{"vars", "ns = vars()", []at{deny(1, 6, "vars()")}},
	{"breakpoint", "breakpoint()", []at{deny(1, 1, "breakpoint()")}},
	// walks through the object graph
	{"subclasses walk", "().__class__.__bases__[0].__subclasses__()",
		[]at{deny(1, 14, "__bases__"), deny(1, 27, "__subclasses__")}},
	{"subclasses in a comprehension", "subs = [c for c in ().__class__.__base__.__subclasses__()]",
		[]at{deny(1, 33, "__base__"), deny(1, 42, "__subclasses__")}},
	{"class subclasses", "class A:\n    pass\nprint(A.__subclasses__())", []at{deny(3, 9, "__subclasses__")}},
	{"builtin's __self__ is the builtins module", "b = print.__self__", []at{deny(1, 11, "__self__")}},
	{"function globals", "def f(): pass\nf.__globals__", []at{deny(2, 3, "__globals__")}},
	{"code object", "c = (lambda: 0).__code__", []at{deny(1, 17, "__code__")}},
	{"getattr with a dunder", `getattr(x, "__globals__")`, []at{deny(1, 1, "getattr() with '__globals__'")}},
	{"getattr with a built dunder", `getattr(print, "__se" + "lf__")`, []at{deny(1, 1, "getattr() with '__self__'")}},
	{"setattr with a dunder", `setattr(f, "__code__", g)`, []at{deny(1, 1, "setattr() with '__code__'")}},
	{"__getattribute__", `x = object.__getattribute__(o, "y")`, []at{deny(1, 12, "__getattribute__")}},
	{"format string field", `"{0.__globals__}".format(f)`, []at{deny(1, 1, "__globals__")}},
	{"traceback frames", "try:\n    1 / 0\nexcept Exception as e:\n    frame = e.__traceback__.tb_frame.f_back",
		[]at{deny(4, 29, "tb_frame"), deny(4, 38, "f_back")}},
	{"__loader__", `__loader__.load_module("os")`, []at{deny(1, 1, "__loader__")}},
	{"__builtins__ by name", "b = __builtins__", []at{deny(1, 5, "__builtins__")}},
	{"format string walk", `"{0.__class__.__base__.__subclasses__}".format(1)`,
		[]at{deny(1, 1, "__base__"), deny(1, 1, "__subclasses__")}},
	{"format string key", `"{0[__builtins__]}".format(g)`, []at{deny(1, 1, "__builtins__")}},
	{"match class pattern reads an attribute", "match print:\n    case object(__self__=b):\n        pass",
		[]at{deny(2, 10, "__self__")}},
	// allowed modules import denied ones under private names
	{"os inside random", "import random\nrandom._os.system(\"ls\")", []at{deny(2, 8, "import os")}},
	{"sys inside typing", "import typing as t\nmods = t.sys.modules", []at{deny(2, 10, "import sys")}},
	{"from an allowed module import a denied one", "from random import _os", []at{deny(1, 1, "import os")}},
	{"getattr of a denied module", "import random\ngetattr(random, \"_o\" + \"s\")", []at{deny(2, 1, "import os")}},
	{"attributes named like modules off other objects", "self.signal = 1\nx.os = 2\nprint(x.sys)", nil},
	// the checker parses the bytes the interpreter runs
	{"utf-7 coding declaration hides an import in a comment",
		"# -*- coding: utf-7 -*-\nx = 1 #+AAo-import os+ADs-os.system('id')\n",
		[]at{{1, 15, violation + "coding declaration 'utf-7' is not allowed; code is UTF-8 (remove the declaration or declare utf-8)"}}},
	{"latin-1 coding declaration on line 2", "#!/usr/bin/env python3\n# vim: set fileencoding=latin-1 :\nx = 1",
		[]at{{2, 25, violation + "coding declaration 'latin-1' is not allowed; code is UTF-8 (remove the declaration or declare utf-8)"}}},
	{"unknown coding declaration", "# coding: rot13\nx = 1",
		[]at{{1, 11, violation + "coding declaration 'rot13' is not allowed; code is UTF-8 (remove the declaration or declare utf-8)"}}},
	{"byte order mark before an import", "\ufeffimport os\nos.system('id')", []at{deny(1, 1, "import os")}},
	{"utf-8 coding declarations", "# -*- coding: utf-8 -*-\nx = 1", nil},
	{"utf8 spelled otherwise", "# coding=UTF8\nx = 1", nil},
	{"utf_8 spelled otherwise", "# vim: fileencoding=utf_8\nx = 1", nil},
	{"coding further down is a comment", "x = 1\ny = 2\n# coding: utf-7", nil},
	// look-alikes that must stay valid
	{"comment", "# import os\nprint(\"hi\")", nil},
	{"strings", "s = \"import os\"\nt = 'eval(\"1\")'", nil},
	{"attributes named like builtins", "obj.open()\nfile.exec_count += 1", nil},
	{"variable named like a builtin", "exec_count = 3\nprint(exec_count)", nil},
	{"variable named file", "file = \"notes.txt\"\nprint(file)", nil},
	{"function named like a builtin", "def open_door():\n    return \"open\"\nopen_door()", nil},
	{"main guard", "if __name__ == \"__main__\":\n    print(\"main\")", nil},
	{"dunder methods", "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n\n" +
		"    def __repr__(self):\n        return f\"{self.__class__.__name__}({self.x!r}, {self.y!r})\"", nil},
	{"f-string", "name = \"Ada\"\nprint(f\"Hello {name:>10}!\")", nil},
	{"walrus", "if (n := len(\"abc\")) > 2:\n    print(n)", nil},
	{"match", "match command.split():\n    case [\"go\", direction]:\n        print(direction)\n    case _:\n        pass", nil},
	{"async", "async def fetch(x):\n    await sleep(x)\n    async for item in source():\n        print(item)", nil},
	{"type hints", "from typing import Optional\ndef area(w: float, h: float = 1.0) -> Optional[list[str]]:\n    return None", nil},
	{"allowed imports", "from __future__ import annotations\nimport math, random, statistics\nimport numpy as np\n" +
		"import pandas as pd\nimport matplotlib.pyplot as plt", nil},
	{"plain format fields", `text = "{0.name} is {0.age}".format(person)`, nil},
	{"generator", "def f(*args, **kwargs):\n    yield from args", nil},
	{"dataclass", "from dataclasses import dataclass\n@dataclass\nclass Item:\n    name: str\n    price: float = 0.0\n", nil},
	{"empty", "", nil},
}

func TestPythonStrictPolicy(t *testing.T) {
	v := newHostValidator(t, Options{})
	for _, tc := range strictPolicyCases {
		t.Run(tc.name, func(t *testing.T) {
			res := validate(t, v, Request{Code: tc.code, HasStdin: true, Policy: PolicyStrict})
			if !sameIssues(res.Errors, tc.want) {
				t.Fatalf("errors = %v\nwant     %v", positions(res.Errors), tc.want)
			}
			if res.Valid != (tc.want == nil) || res.Policy != PolicyStrict {
				t.Fatalf("valid = %v, policy = %q", res.Valid, res.Policy)
			}
			if tc.want == nil && res.Error != nil || tc.want != nil && (res.Error == nil || *res.Error != tc.want[0].msg) {
				t.Fatalf("error = %v, want the first error", res.Error)
			}
		})
	}
}

// TestPythonTeachingPolicyCatchesStrictEscapes runs the strict table under
// the default teaching policy: every escape strict refuses is refused at
// the same place for the same reason, the message goes on to explain it,
// and the look-alikes stay valid.
func TestPythonTeachingPolicyCatchesStrictEscapes(t *testing.T) {
	v := newHostValidator(t, Options{})
	for _, tc := range TeachingPolicyCases() {
		t.Run(tc.Name, func(t *testing.T) {
			res := validate(t, v, Request{Code: tc.Code, HasStdin: true})
			if msg, ok := SameExplainedIssues(res.Errors, tc.Want); !ok {
				t.Fatalf("%s\nerrors = %v\nwant     %v", msg, positions(res.Errors), tc.Want)
			}
			if res.Valid != (tc.Want == nil) || res.Policy != PolicyTeaching {
				t.Fatalf("valid = %v, policy = %q", res.Valid, res.Policy)
			}
			if tc.Want != nil && (res.Error == nil || *res.Error != res.Errors[0].Message) {
				t.Fatalf("error = %v, want the first error", res.Error)
			}
		})
	}
}

// cpythonError is what the interpreter itself says when compiling code.
type cpythonError struct {
	Kind      string `json:"kind"`
	Msg       string `json:"msg"`
	Line      int    `json:"lineno"`
	Col       int    `json:"offset"`
	EndLine   int    `json:"end_lineno"`
	EndColumn int    `json:"end_offset"`
}

// compileWithCPython is the oracle for syntax errors: it compiles the test's
// own literal with the same interpreter the checker targets.
func compileWithCPython(t *testing.T, code string) cpythonError {
	t.Helper()
	script := `import json, sys
try:
    compile(sys.stdin.read(), "main.py", "exec")
except SyntaxError as e:
    print(json.dumps({"kind": type(e).__name__, "msg": e.msg, "lineno": e.lineno or 0,
        "offset": e.offset or 0, "end_lineno": e.end_lineno or 0, "end_offset": e.end_offset or 0}))
`
	cmd := exec.Command("/usr/bin/python3", "-I", "-S", "-c", script)
	cmd.Stdin = strings.NewReader(code)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	var e cpythonError
	if err := json.Unmarshal(out, &e); err != nil {
		t.Fatalf("oracle gave %q for %q: %v", out, code, err)
	}
	return e
}

func TestPythonSyntaxErrorsMatchCPython(t *testing.T) {
	v := newHostValidator(t, Options{})
	codes := []string{
		"def f(:",
		"print('hello'",
		"if x\n    pass",
		"for i in range(3):\nprint(i)",
		"x = 1\n  y = 2",
		"def f():\n\tif x:\n        pass\n\telse:\n\t\tpass",
		"print \"hello\"",
		"x = (1 +\n",
		"é = 1 +",
		"s = 'abc",
		"x === 1",
		"f(x for x in y, 1)",
		"a, b += 1",
		`"😀" + return`,
		// found by the compiler, not the parser
		"return 1",
		"break",
		"def f(a, a): pass",
		"nonlocal x",
		"class A:\n    def f(self):\n        await x",
		"é;return 1",
	}
	for _, code := range codes {
		t.Run(code, func(t *testing.T) {
			want := compileWithCPython(t, code)
			res := validate(t, v, Request{Code: code})
			// CPython says -1 for an unknown end column; Issue says 0.
			wantIssue := Issue{Line: want.Line, Column: want.Col, EndLine: want.EndLine, EndColumn: max(0, want.EndColumn), Message: want.Msg}
			if res.Valid || len(res.Errors) != 1 || res.Errors[0] != wantIssue {
				t.Fatalf("errors = %+v\nwant     %+v", res.Errors, wantIssue)
			}
			if len(res.Warnings) != 0 {
				t.Fatalf("warnings on code that does not compile: %v", res.Warnings)
			}
		})
	}
}

func TestPythonSyntaxErrorSummary(t *testing.T) {
	v := newHostValidator(t, Options{})
	tests := []struct{ code, want string }{
		{"def f(:", "SyntaxError: invalid syntax (line 1, column 7)"},
		{"if True:\npass", "IndentationError: expected an indented block after 'if' statement on line 1 (line 2, column 1)"},
		// 3.11 raises ValueError for NUL; the checker reports it as 3.12 does.
		{"x = 1\ny = 2\x00", "SyntaxError: source code string cannot contain null bytes (line 2, column 6)"},
	}
	for _, tc := range tests {
		res := validate(t, v, Request{Code: tc.code})
		if res.Error == nil || *res.Error != tc.want {
			t.Errorf("%q: error = %v, want %q", tc.code, res.Error, tc.want)
		}
	}
}

func TestPythonOtherPolicies(t *testing.T) {
	allowAll := Policy{Name: "open-imports", AllowAllImports: true, DeniedImports: []string{"os"}, DeniedCalls: []string{"eval"}}
	quiet := Policy{Name: "quiet", SyntaxOnly: true}
	v := newHostValidator(t, Options{Policies: map[string]Policy{
		PolicySandboxOnly: DefaultPolicies()[PolicySandboxOnly], allowAll.Name: allowAll, quiet.Name: quiet,
	}, DefaultPolicy: PolicySandboxOnly})
	tests := []struct {
		policy, code string
		want         []at
		warnings     int
	}{
		{"", "import os\nos.system('ls')", nil, 0},
		{"", "__import__('os').system('ls')", nil, 0},
		{"", "().__class__.__bases__[0].__subclasses__()", nil, 0},
		{"", "while True:\n    pass", nil, 1},
		{"", "def f(:", []at{{1, 7, "invalid syntax"}}, 0},
		{"quiet", "while True:\n    pass", nil, 0},
		{"open-imports", "import requests\nfrom . import sibling", nil, 0},
		{"open-imports", "from os import path", []at{deny(1, 1, "import os")}, 0},
		{"open-imports", "eval('1')", []at{deny(1, 1, "eval()")}, 0},
		// FlagDunderEscapes is off in this policy
		{"open-imports", "print.__self__", nil, 0},
	}
	for _, tc := range tests {
		res := validate(t, v, Request{Code: tc.code, Policy: tc.policy})
		if !sameIssues(res.Errors, tc.want) || len(res.Warnings) != tc.warnings {
			t.Errorf("policy %q, %q: errors %v warnings %v; want %v and %d warnings", tc.policy, tc.code, positions(res.Errors), res.Warnings, tc.want, tc.warnings)
		}
		wantPolicy := tc.policy
		if wantPolicy == "" {
			wantPolicy = PolicySandboxOnly
		}
		if res.Policy != wantPolicy {
			t.Errorf("policy = %q, want %q", res.Policy, wantPolicy)
		}
	}
}

const teachingOS = "Security violation: import os is not allowed: os reaches the operating system: " +
	"running programs, environment, files anywhere. Instead, use open() on /tmp for files and pathlib.Path " +
	"for paths; read input with input() or open(0)."

// TestResultJSON pins the wire shape, including the seed's own example.
func TestResultJSON(t *testing.T) {
	v := newHostValidator(t, Options{})
	tests := []struct{ policy, code, want string }{
		{PolicyStrict, "import os; os.system('ls')", `{"valid":false,"error":"Security violation: import os is not allowed","warnings":[],` +
			`"errors":[{"line":1,"column":1,"end_line":1,"end_column":10,"message":"Security violation: import os is not allowed"}],` +
			`"warning_details":[],"policy":"strict","policy_violation":true}`},
		// the default explains the same refusal
		{"", "import os; os.system('ls')", `{"valid":false,"error":"` + teachingOS + `","warnings":[],` +
			`"errors":[{"line":1,"column":1,"end_line":1,"end_column":10,"message":"` + teachingOS + `"}],` +
			`"warning_details":[],"policy":"teaching","policy_violation":true}`},
		{PolicyStrict, "print(1)", `{"valid":true,"error":null,"warnings":[],"errors":[],"warning_details":[],"policy":"strict","policy_violation":false}`},
		{PolicyStrict, "print(1", `{"valid":false,"error":"SyntaxError: '(' was never closed (line 1, column 6)","warnings":[],` +
			`"errors":[{"line":1,"column":6,"end_line":1,"message":"'(' was never closed"}],"warning_details":[],"policy":"strict","policy_violation":false}`},
		{PolicyStrict, "x = 1\nx == 2", `{"valid":true,"error":null,"warnings":["line 2: comparison result is unused (did you mean =?)"],"errors":[],` +
			`"warning_details":[{"line":2,"column":1,"end_line":2,"end_column":7,"message":"comparison result is unused (did you mean =?)"}],"policy":"strict","policy_violation":false}`},
	}
	for _, tc := range tests {
		res := validate(t, v, Request{Code: tc.code, Policy: tc.policy})
		got, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.code, got, tc.want)
		}
	}
}
