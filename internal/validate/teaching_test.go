package validate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPythonTeachingPolicy pins what teaching adds to strict (the library
// lessons use, files in /box and /tmp) and what it still refuses, each
// refusal saying what, why and what to do instead.
func TestPythonTeachingPolicy(t *testing.T) {
	v := newHostValidator(t, Options{})
	cases := []struct {
		name, code string
		want       string // "" = valid; else the message's start
		col        int
	}{
		{"operator and calendar", "import operator, calendar\nprint(operator.add(1, 2), calendar.isleap(2024))", "", 0},
		{"unittest", "import unittest\nclass T(unittest.TestCase):\n    def test(self):\n        self.assertEqual(1, 1)\nunittest.main()", "", 0},
		{"doctest", "def f():\n    '''\n    >>> f()\n    1\n    '''\n    return 1\nimport doctest\ndoctest.testmod()", "", 0},
		{"io.StringIO", "from io import StringIO, BytesIO\nbuf = StringIO()\nprint('x', file=buf)", "", 0},
		{"threading and queue", "import threading, queue\nq = queue.Queue()\nt = threading.Thread(target=q.put, args=(1,))\nt.start()\nt.join()", "", 0},
		{"concurrent.futures threads", "from concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor(2) as ex:\n    print(list(ex.map(abs, [-1, 2])))", "", 0},
		{"abc, contextlib, string, textwrap", "import abc, contextlib, string, textwrap", "", 0},
		{"binary data", "import array, struct, hashlib, base64, difflib, unicodedata, cmath, numbers", "", 0},
		{"write in /tmp", "with open('/tmp/notes.txt', 'w') as f:\n    f.write('hi')", "", 0},
		{"read back from /tmp", "print(open('/tmp/notes.txt').read())", "", 0},
		{"read the program's folder", "print(open('main.py').read())\nprint(open('/box/main.py', mode='r').read())", "", 0},
		{"all of stdin", "data = open(0).read()", "", 0},
		{"computed paths are left to the guard", "name = input()\nopen(name, 'w')", "", 0},
		{"io.open in /tmp", "import io\nio.open('/tmp/x', 'a')", "", 0},
		{"pathlib", "from pathlib import Path\nPath('/tmp/x.txt').write_text('hi')", "", 0},
		// still refused
		{"write in the working directory", "open('out.txt', 'w')", "Security violation: writing /box/out.txt is not allowed: only /tmp is writable in this sandbox. Instead, write to /tmp/out.txt", 1},
		{"read outside", "data = open('/etc/passwd').read()", "Security violation: reading /etc/passwd is not allowed: a program here can read only", 8},
		{"climb out of /tmp", "open('/tmp/../proc/self/environ')", "Security violation: reading /proc/self/environ is not allowed", 1},
		{"io.open outside", "import io\nio.open('/proc/self/status')", "Security violation: reading /proc/self/status is not allowed", 1},
		{"write outside by keyword", "open('/usr/lib/x', mode='x')", "Security violation: writing /usr/lib/x is not allowed", 1},
		{"path by keyword", "open(mode='r', file='/proc/1/environ')", "Security violation: reading /proc/1/environ is not allowed", 1},
		{"subprocess", "import subprocess", "Security violation: import subprocess is not allowed: programs can't start other programs or touch other processes in this sandbox. Instead, do the work in Python itself; to run shell commands, use a terminal", 1},
		{"os", "import os", "Security violation: import os is not allowed: os reaches the operating system", 1},
		{"sys", "import sys", "Security violation: import sys is not allowed: sys hands out any module without an import", 1},
		{"socket", "import socket", "Security violation: import socket is not allowed: this sandbox has no network. Instead,", 1},
		{"urllib", "from urllib.request import urlopen", "Security violation: import urllib is not allowed: this sandbox has no network.", 1},
		{"http", "import http.client", "Security violation: import http is not allowed: this sandbox has no network.", 1},
		{"importlib", "import importlib", "Security violation: import importlib is not allowed: loading modules by a computed name", 1},
		{"__import__", "m = __import__('math')", "Security violation: __import__() is not allowed: loading modules by a computed name", 5},
		{"gc", "import gc", "Security violation: import gc is not allowed: it reaches the interpreter's internals", 1},
		{"ctypes", "import ctypes", "Security violation: import ctypes is not allowed: native code reaches past every rule", 1},
		{"pickle", "import pickle", "Security violation: import pickle is not allowed: unpickling can call any function", 1},
		{"a module nobody listed", "import tkinter", "Security violation: import tkinter is not allowed: tkinter is not among the modules this policy allows", 1},
		{"asyncio is not listed", "import asyncio", "Security violation: import asyncio is not allowed", 1},
		{"eval", "eval('1 + 1')", "Security violation: eval() is not allowed: running a string as code gets past this check. Instead, call functions directly", 1},
		{"globals", "g = globals()", "Security violation: globals() is not allowed: it hands out the namespace dicts", 5},
		{"subclasses", "().__class__.__base__.__subclasses__()", "Security violation: __base__ is not allowed: it reaches the interpreter's internals", 14},
		{"relative import", "from . import helper", "Security violation: relative imports are not allowed: a program here is one file, main.py. Instead, put everything in main.py.", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := validate(t, v, Request{Code: tc.code, HasStdin: true})
			if res.Policy != PolicyTeaching {
				t.Fatalf("policy %q, want teaching (the default)", res.Policy)
			}
			if tc.want == "" {
				if !res.Valid {
					t.Fatalf("refused: %v", positions(res.Errors))
				}
				return
			}
			if res.Valid || !res.PolicyViolation || len(res.Errors) == 0 {
				t.Fatalf("valid = %v, errors %v; want refused", res.Valid, positions(res.Errors))
			}
			e := res.Errors[0]
			if !strings.HasPrefix(e.Message, tc.want) || e.Line == 0 || e.Column != tc.col {
				t.Fatalf("error %d:%d %q\nwant column %d and %q...", e.Line, e.Column, e.Message, tc.col, tc.want)
			}
			if !strings.Contains(e.Message, ". Instead, ") {
				t.Fatalf("%q does not say what to do instead", e.Message)
			}
		})
	}
}

// TestTeachingPolicyExplainsEveryModuleItDenies: no denied module falls
// back to the generic "not among the modules" text.
func TestTeachingPolicyExplainsEveryModuleItDenies(t *testing.T) {
	v := newHostValidator(t, Options{})
	p := DefaultPolicies()[PolicyTeaching]
	for _, m := range p.DeniedImports {
		res := validate(t, v, Request{Code: "import " + m})
		if res.Valid || len(res.Errors) != 1 || strings.Contains(res.Errors[0].Message, "not among the modules") {
			t.Errorf("import %s: %v", m, positions(res.Errors))
		}
	}
	strict := DefaultPolicies()[PolicyStrict]
	for _, m := range strict.AllowedImports {
		if !slices.Contains(p.AllowedImports, m) {
			t.Errorf("teaching does not allow %s, which strict allows", m)
		}
	}
	for _, m := range strict.DeniedImports {
		if !slices.Contains(p.DeniedImports, m) {
			t.Errorf("teaching does not deny %s, which strict denies", m)
		}
	}
	for _, c := range strict.DeniedCalls {
		if c != "open" && !slices.Contains(p.DeniedCalls, c) {
			t.Errorf("teaching does not deny %s(), which strict denies", c)
		}
	}
}

// maxFalsePositives is the share of the teaching corpus the policy may
// refuse: every file there is a harmless learner's program.
const maxFalsePositives = 0.01

// TestTeachingCorpus checks every program in testdata/teaching (learners'
// programs and exercise solutions written for this test: strings, lists,
// classes, files in /tmp, unittest, threading, numpy...) under the default
// policy and reports the false-positive rate.
func TestTeachingCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/teaching/*.py")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 150 {
		t.Fatalf("the corpus has %d programs, want at least 150", len(files))
	}
	v := newHostValidator(t, Options{})
	var rejected []string
	for _, f := range files {
		code, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, statErr := os.Stat(strings.TrimSuffix(f, ".py") + ".stdin")
		res := validate(t, v, Request{Code: string(code), HasStdin: statErr == nil})
		if res.Policy != PolicyTeaching {
			t.Fatalf("policy %q, want teaching", res.Policy)
		}
		if !res.Valid {
			rejected = append(rejected, filepath.Base(f)+": "+*res.Error)
		}
	}
	rate := float64(len(rejected)) / float64(len(files))
	t.Logf("teaching corpus: %d programs, %d refused (%.2f%% false positives)", len(files), len(rejected), rate*100)
	for _, r := range rejected {
		t.Logf("refused: %s", r)
	}
	if rate > maxFalsePositives {
		t.Fatalf("false-positive rate %.2f%% > %.0f%%:\n%s", rate*100, maxFalsePositives*100, strings.Join(rejected, "\n"))
	}
}
