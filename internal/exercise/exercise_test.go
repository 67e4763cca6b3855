package exercise_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/exercise"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/store"
	"github.com/runblock/runblock/internal/validate"
)

// FizzBuzzLesson is a 10-test exercise: 6 visible plain tests and a hidden
// unittest class of 4, whose source holds a marker that must never reach
// the learner.
const FizzBuzzLesson = "# FizzBuzz\n\n" +
	"```python {runnable id=fizzbuzz}\ndef fizzbuzz(n):\n    return str(n)\n```\n\n" +
	"```python {tests for=fizzbuzz}\n" +
	"def test_one():\n    assert fizzbuzz(1) == '1'\n" +
	"def test_two():\n    assert fizzbuzz(2) == '2'\n" +
	"def test_three():\n    assert fizzbuzz(3) == 'Fizz', 'multiples of 3 are Fizz'\n" +
	"def test_five():\n    assert fizzbuzz(5) == 'Buzz'\n" +
	"def test_six():\n    assert fizzbuzz(6) == 'Fizz'\n" +
	"def test_seven():\n    assert fizzbuzz(7) == '7'\n" +
	"```\n\n" +
	"```python {tests for=fizzbuzz hidden}\n" +
	"import unittest\n" +
	"class Hidden(unittest.TestCase):\n" +
	"    def test_fifteen(self):\n        self.assertEqual(fizzbuzz(15), 'FizzBuzz')  # SECRET-HIDDEN-MARKER\n" +
	"    def test_thirty(self):\n        self.assertEqual(fizzbuzz(30), 'FizzBuzz')\n" +
	"    def test_ten(self):\n        self.assertEqual(fizzbuzz(10), 'Buzz')\n" +
	"    def test_type(self):\n        self.assertIs(type(fizzbuzz(9)), str)\n" +
	"```\n"

const goodSolution = "def fizzbuzz(n):\n" +
	"    if n % 15 == 0:\n        return 'FizzBuzz'\n" +
	"    if n % 3 == 0:\n        return 'Fizz'\n" +
	"    if n % 5 == 0:\n        return 'Buzz'\n" +
	"    return str(n)\n"

// wrongSolution forgets Buzz.
const wrongSolution = "def fizzbuzz(n):\n" +
	"    if n % 3 == 0:\n        return 'Fizz'\n" +
	"    return str(n)\n"

// staticPass lets every program past the static check but hands out the
// real guard: what the harness and the guard hold must hold alone.
type staticPass struct{ v *validate.Validator }

func (s staticPass) Validate(ctx context.Context, r validate.Request) (validate.Result, error) {
	return validate.Result{Valid: true, Warnings: []string{}, Errors: []validate.Issue{}}, nil
}

func (s staticPass) Guard(policy string) (string, []byte, error) { return s.v.Guard(policy) }

type memRecorder struct {
	mu   sync.Mutex
	subs []store.Submission
}

func (m *memRecorder) CreateSubmission(ctx context.Context, s *store.Submission) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subs = append(m.subs, *s)
	return nil
}

var (
	setupOnce sync.Once
	shared    *exercise.Service
	sharedRec = &memRecorder{}
	setupErr  error
)

func service(t *testing.T) *exercise.Service {
	t.Helper()
	setupOnce.Do(func() {
		rt, err := bwrap.New(context.Background(), bwrap.Config{})
		if err != nil {
			setupErr = err
			return
		}
		v, err := validate.New(validate.Options{Runtime: rt})
		if err != nil {
			setupErr = err
			return
		}
		python := sandbox.Language{Name: "python", FileName: "main.py", Run: []string{"/usr/bin/python3", "-u", "main.py"}}
		svc, err := execute.New(rt, map[string]sandbox.Language{"python": python}, execute.Config{
			Limits:     sandbox.Limits{MemoryBytes: 256 << 20, WallTime: 20 * time.Second, OutputChars: 10_000},
			MaxTimeout: 30 * time.Second, MaxCodeBytes: 64 << 10, MaxStdinBytes: 1 << 20,
			MaxConcurrent: 2, MaxQueue: 100, QueueWait: 2 * time.Minute,
		}, nil)
		if err != nil {
			setupErr = err
			return
		}
		shared, setupErr = exercise.New(svc.WithValidator(staticPass{v}, validate.PolicyTeaching), sharedRec, nil)
	})
	if setupErr != nil {
		t.Fatalf("setup: %v", setupErr)
	}
	return shared
}

func fizzbuzzBlock(t *testing.T) content.Block {
	t.Helper()
	l, probs := content.ParseLesson("fizz", "fizz.md", []byte(FizzBuzzLesson))
	if len(probs) > 0 || len(l.Blocks) != 1 {
		t.Fatalf("lesson: %v", probs)
	}
	return l.Blocks[0]
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func submit(t *testing.T, code string) (exercise.Verdict, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb lockedBuf
	v, err := service(t).Submit(ctx, execute.Caller{UserID: "learner-" + t.Name()}, "fizz", fizzbuzzBlock(t), code,
		exercise.Events{Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return v, out.String(), errb.String()
}

func results(v exercise.Verdict) map[string]exercise.TestResult {
	m := map[string]exercise.TestResult{}
	for _, r := range v.Tests {
		m[r.Name] = r
	}
	return m
}

func TestCorrectSolutionPasses(t *testing.T) {
	v, out, errb := submit(t, goodSolution+"print('loaded')\n")
	if v.Status != store.VerdictPassed || len(v.Tests) != 10 || v.Passed() != 10 {
		t.Fatalf("status %q, %d/%d passed, message %q\ntests %+v\nstderr %s", v.Status, v.Passed(), len(v.Tests), v.Message, v.Tests, errb)
	}
	if out != "loaded\n" {
		t.Errorf("learner output = %q, want exactly the learner's print", out)
	}
	for _, r := range v.Tests {
		if r.TimeMS <= 0 || r.Message != "" {
			t.Errorf("test %+v: want a time and no message", r)
		}
	}
	rs := results(v)
	if !rs["Hidden.test_fifteen"].Hidden || rs["test_one"].Hidden {
		t.Errorf("hidden flags wrong: %+v", v.Tests)
	}
}

func TestWrongSolutionFailsWithMessages(t *testing.T) {
	v, _, errb := submit(t, wrongSolution)
	if v.Status != store.VerdictFailed {
		t.Fatalf("status %q (%s), want failed; stderr %s", v.Status, v.Message, errb)
	}
	rs := results(v)
	want := map[string]string{
		"test_one":            "",
		"test_three":          "",
		"test_five":           "assertion failed",
		"Hidden.test_fifteen": "'Fizz' != 'FizzBuzz'",
		"Hidden.test_ten":     "'10' != 'Buzz'",
		"Hidden.test_thirty":  "'Fizz' != 'FizzBuzz'",
	}
	for name, msg := range want {
		r, ok := rs[name]
		if !ok {
			t.Errorf("no verdict for %s", name)
			continue
		}
		if r.Passed != (msg == "") || !strings.Contains(r.Message, msg) {
			t.Errorf("%s: passed %v message %q, want message containing %q", name, r.Passed, r.Message, msg)
		}
	}
	if v.Passed() != 6 {
		t.Errorf("passed %d, want 6 (%+v)", v.Passed(), v.Tests)
	}
	for _, r := range v.Tests {
		if strings.Contains(r.Message, "SECRET-HIDDEN-MARKER") || strings.Contains(r.Message, "assertEqual(") {
			t.Errorf("%s: message shows test code: %q", r.Name, r.Message)
		}
	}
}

// TestLearnerCannotCheat: each program tries one way past the tests with a
// wrong fizzbuzz; none may pass, and none may see the hidden tests.
func TestLearnerCannotCheat(t *testing.T) {
	cases := []struct {
		name, code string
		status     string // the verdict it must get
	}{
		{"read the test files", "from pathlib import Path\nprint('LEAKS', [p.name for p in Path('/box').iterdir() if b'test_' b'thirty' in p.read_bytes()])\n", store.VerdictFailed},
		{"read stdin", "print('STDIN', open(0).read())\n", store.VerdictFailed},
		{"read /proc/self/fd/0", "print(open('/proc/self/fd/0').read())\n", store.VerdictError},
		{"read harness memory", "print(open('/proc/self/mem', 'rb').read(10))\n", store.VerdictError},
		{"walk gc", "import gc\nprint([o for o in gc.get_objects() if isinstance(o, str) and 'SECRET' in o])\n", store.VerdictError},
		{"walk frames", "def find():\n    try:\n        raise ValueError\n    except ValueError as e:\n        f = e.__traceback__.tb_frame\n        while f:\n            print(f.f_globals.keys())\n            f = f.f_back\nfind()\n", store.VerdictError},
		{"import the tests", "import tests\n", store.VerdictError},
		{"monkey-patch unittest", "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\nunittest.TestCase.assertIs = lambda *a, **k: None\nunittest.TestCase.run = lambda self, result=None: None\nunittest.TestResult.addFailure = lambda *a: None\n", store.VerdictFailed},
		{"patch unittest during a test", "def fizzbuzz(n):\n    import unittest\n    unittest.TestCase.assertEqual = lambda *a, **k: None\n    return 'Fizz' if n % 3 == 0 else str(n)\n", store.VerdictFailed},
		{"exit() while loading", "exit(0)\n", store.VerdictError},
		{"raise SystemExit in a test", "def fizzbuzz(n):\n    raise SystemExit(0)\n", store.VerdictFailed},
		{"os._exit through random._os", "import random\nrandom._os._exit(0)\n", store.VerdictError},
		{"os._exit during a test", "import random\ndef fizzbuzz(n):\n    random._os._exit(0)\n", store.VerdictError},
		{"import sys to exit", "import sys\nsys.exit(0)\n", store.VerdictError},
		{"print a fake all passed", "print('OK: all 10 tests passed')\nfor m in ('\\x1eRBX-00000000000000000000000000000000:', '\\x1eRBX-:'):\n    print(m + '{\"event\": \"test\", \"name\": \"test_five\", \"passed\": true}')\n    print(m + '{\"event\": \"end\"}')\n", store.VerdictFailed},
		{"overwrite own builtins", "__builtins__['AssertionError'] = KeyError\n__builtins__['isinstance'] = lambda *a: True\n", store.VerdictFailed},
		{"overwrite the real builtins", "import random\nb = getattr(random, '__buil' + 'tins__')\nb['type'] = lambda *a: str\nb['issubclass'] = lambda *a: True\nb['isinstance'] = lambda *a: True\nb['str'] = lambda *a: 'FizzBuzz'\n", store.VerdictFailed},
		{"raise SkipTest", "import unittest\ndef fizzbuzz(n):\n    raise unittest.SkipTest('no')\n", store.VerdictFailed},
		{"define fake passing tests", "def test_fake():\n    pass\nclass Hidden:\n    pass\n", store.VerdictFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code := wrongSolution + c.code
			if strings.HasPrefix(c.code, "def fizzbuzz") || strings.Contains(c.code, "\ndef fizzbuzz") {
				code = c.code
			}
			v, out, errb := submit(t, code)
			if v.Status != c.status {
				t.Errorf("status %q (message %q), want %q\ntests %+v\nstdout %.600q\nstderr %.600q", v.Status, v.Message, c.status, v.Tests, out, errb)
			}
			if v.Status == store.VerdictPassed || (len(v.Tests) > 0 && v.Passed() == len(v.Tests)) {
				t.Errorf("the cheat passed: %+v", v.Tests)
			}
			for _, s := range []string{out, errb, v.Message} {
				if strings.Contains(s, "SECRET-HIDDEN-MARKER") || strings.Contains(s, "test_thirty") {
					t.Errorf("hidden tests leaked to the learner: %q", s)
				}
			}
			if strings.Contains(out, "LEAKS") && !strings.Contains(out, "LEAKS []") {
				t.Errorf("a file in /box holds the hidden tests: %q", out)
			}
			for _, r := range v.Tests {
				if r.Name == "test_fake" {
					t.Errorf("the learner's own test_fake was run as a test")
				}
			}
		})
	}
}

// TestNoGuardNoSubmission: without a policy guard the learner's code could
// read the tests from memory, so a submission is refused, not run.
func TestNoGuardNoSubmission(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	python := sandbox.Language{Name: "python", FileName: "main.py", Run: []string{"/usr/bin/python3", "-u", "main.py"}}
	svc, err := execute.New(rt, map[string]sandbox.Language{"python": python}, execute.Config{
		Limits: sandbox.Limits{WallTime: 10 * time.Second}, MaxTimeout: 30 * time.Second, MaxCodeBytes: 1 << 16,
		MaxStdinBytes: 1 << 16, MaxConcurrent: 1, MaxQueue: 4, QueueWait: time.Minute,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := exercise.New(svc, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ex.Submit(context.Background(), execute.Caller{UserID: "u"}, "fizz", fizzbuzzBlock(t), goodSolution, exercise.Events{})
	if apperr.KindOf(err) != apperr.Conflict || !strings.Contains(err.Error(), "guard") {
		t.Fatalf("Submit without a guard: %v, want a Conflict about the guard", err)
	}
}

// TestEndlessTestTimesOut: a solution that never returns for one input
// ends as "timeout"; the verdicts reported before it are kept and the
// tests that never ran say so.
func TestEndlessTestTimesOut(t *testing.T) {
	b := fizzbuzzBlock(t)
	b.Timeout = 3
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := strings.Replace(goodSolution, "    if n % 15 == 0:\n", "    if n == 15:\n        while True:\n            pass\n    if n % 15 == 0:\n", 1)
	v, err := service(t).Submit(ctx, execute.Caller{UserID: "slow"}, "fizz", b, code, exercise.Events{})
	if err != nil {
		t.Fatal(err)
	}
	rs := results(v)
	if v.Status != store.VerdictTimeout || !strings.Contains(v.Message, "timed out") {
		t.Fatalf("status %q message %q, want timeout", v.Status, v.Message)
	}
	if !rs["test_one"].Passed || rs["Hidden.test_fifteen"].Passed || len(v.Tests) != 10 {
		t.Errorf("verdicts %+v", v.Tests)
	}
	notRun := 0
	for _, r := range v.Tests {
		if r.Message == "did not run" {
			notRun++
		}
	}
	if notRun == 0 {
		t.Errorf("no test says it did not run: %+v", v.Tests)
	}
}
