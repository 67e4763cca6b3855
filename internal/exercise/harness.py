"""runblock's exercise harness: runs a learner's Python code with an
author's tests in one sandbox, so that the learner's code can neither read
nor change the tests, nor forge their verdicts.

Started as `python3 -u runblock_exercise.pyc` in /box, next to solution.py
(the learner's code) and the policy guard. The server compiles this file
with the name /opt/runblock/runblock_exercise.py, which the guard trusts
like its own code: the harness may compile the tests, the learner's code
may not touch the harness's frames.

Order matters; everything secret is handled before the learner's code
exists as code:

1. Read stdin to its end: a JSON object with the tests' sources and a
   per-submission nonce. Nothing of it is ever in a file, and stdin is
   empty by the time the learner's code runs (input() gets EOF).
2. Import unittest and compile the tests, then take unittest out of
   sys.modules: the learner's `import unittest` loads a copy of its own,
   so patching it patches nothing the tests use.
3. Install the policy guard (audit hook and import check) from its file.
   From here on the learner's code cannot walk frames or gc, read /proc,
   import sys, os, gc, inspect or builtins, or load native code.
4. Import solution.py as the module `solution` (not __main__), with a
   builtins dict of its own. SystemExit and exceptions at import end the
   submission with "error".
5. Run every test with the real builtins restored from a snapshot before
   and after it, and report each verdict as one line on stdout that
   starts with a mark holding the nonce. The server counts only those
   lines; the learner's output goes around them. After the last verdict
   the process ends at once (os._exit), so no learner code runs after.

Tests themselves are untrusted code too: they run behind the same guard.
"""

import builtins
import json
import marshal
import posix
import sys
import time
import types


def _main():
    write, exit_, clock = posix.write, posix._exit, time.perf_counter
    try:
        spec = json.loads(sys.stdin.buffer.read())
        mark = ("\x1eRBX-" + spec["nonce"] + ":").encode()
    except Exception:
        write(2, b"runblock-exercise: bad harness input\n")
        exit_(3)

    # A private unittest (and json, which writes the verdicts), with every
    # module they load that was not loaded already: the learner's imports
    # of them load copies of their own, so patching those (unittest.TestCase,
    # collections.Counter, json's encoder) changes nothing the tests use.
    before = set(sys.modules)
    unittest = None
    # Importing unittest is most of the harness's own start-up: only when
    # a suite uses it (plain test_* functions don't).
    if any("unittest" in s["code"] or "TestCase" in s["code"] for s in spec["suites"]):
        import unittest
    for name in set(sys.modules) - before:
        del sys.modules[name]
    for name in [m for m in sys.modules if m == "json" or m.startswith("json.")]:
        del sys.modules[name]

    def emit(obj, _w=write, _mark=mark, _dumps=json.dumps):
        _w(1, _mark + _dumps(obj).encode("utf-8", "backslashreplace") + b"\n")
    suites = []
    for s in spec["suites"]:
        try:
            code = compile(s["code"], "<tests: " + s["name"] + ">", "exec", dont_inherit=True)
        except SyntaxError as e:
            emit({"event": "error", "message": "the exercise's tests (" + s["name"] + ") do not compile: " +
                  str(e.msg) + " on line " + str(e.lineno) + "; tell the author"})
            exit_(0)
        suites.append((s, code))
    with open("/box/solution.py", "rb") as f:
        source = f.read()
    try:
        solution_code = compile(source, "/box/solution.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        emit({"event": "error", "message": type(e).__name__ + ": " + str(e)})
        exit_(0)
    del spec

    # The guard's own functions make the hook and the import check, exactly
    # as its _main does for a plain run (see guard.py).
    guard_name, guard_bytes = None, None
    for name in ("runblock_guard.pyc", "runblock_guard.py"):
        try:
            with open("/box/" + name, "rb") as f:
                guard_name, guard_bytes = name, f.read()
            break
        except OSError:
            pass
    if guard_name is not None:
        if guard_name.endswith(".pyc"):
            guard_code = marshal.loads(guard_bytes[16:])
        else:
            guard_code = compile(guard_bytes, "/box/runblock_guard.py", "exec", dont_inherit=True)
        g = {"__name__": "runblock_guard", "__builtins__": builtins}
        exec(guard_code, g)
        policy = g["POLICY"]
        sys.addaudithook(g["_make_hook"](policy))
        builtins.__import__ = g["_make_import"](policy, g["_refuser"](policy))
        del g, guard_code
    del guard_bytes
    # The learner's code must not find this module as __main__.
    sys.modules["__main__"] = types.ModuleType("__main__")

    real = builtins.__dict__
    snapshot = dict(real)

    def restore(_real=real, _snap=snapshot, _clear=dict.clear, _update=dict.update):
        # Undo whatever the learner's code did to the shared builtins.
        # Always, without comparing first: comparing would call __eq__ of
        # whatever the learner's code put there.
        _clear(_real)
        _update(_real, _snap)

    solution = types.ModuleType("solution")
    solution.__file__ = "/box/solution.py"
    solution.__dict__["__builtins__"] = dict(snapshot)
    sys.modules["solution"] = solution
    try:
        exec(solution_code, solution.__dict__)
    except SystemExit as e:
        restore()
        emit({"event": "error", "message": "your code called exit() while loading (" + _exc_text(e) +
              "); the tests need it to load normally"})
        exit_(0)
    except BaseException as e:
        restore()
        emit({"event": "error", "message": _learner_error(e)})
        exit_(0)
    restore()

    # The tests' own names: the private unittest, the learner's module and
    # its public names; their imports of these get the same objects.
    guarded_import = snapshot["__import__"]

    def tests_import(name, globals=None, locals=None, fromlist=(), level=0,
                     _ut=unittest, _sol=solution, _imp=guarded_import):
        if level == 0:
            if name == "unittest" and _ut is not None:
                return _ut
            if name == "solution":
                return _sol
        return _imp(name, globals, locals, fromlist, level)

    tests_builtins = dict(snapshot)
    tests_builtins["__import__"] = tests_import
    tests = []
    for s, code in suites:
        ns = {}
        for k, v in list(solution.__dict__.items()):
            if not k.startswith("_"):
                ns[k] = v
        ns.update({"__name__": "tests", "__builtins__": tests_builtins, "solution": solution})
        if unittest is not None:
            ns["unittest"] = unittest
        given = dict(ns)
        try:
            exec(code, ns)
        except BaseException as e:
            restore()
            emit({"event": "error", "message": "the tests (" + s["name"] + ") failed to load: " + _exc_text(e)})
            exit_(0)
        restore()
        for k, v in list(ns.items()):
            if k in given and given[k] is v:
                continue  # the learner's, not the tests'
            if unittest is not None and isinstance(v, type) and issubclass(v, unittest.TestCase) and v.__module__ == "tests":
                for method in unittest.TestLoader().getTestCaseNames(v):
                    tests.append((s, k + "." + method, v(method)))
            elif k.startswith("test") and isinstance(v, types.FunctionType) and v.__module__ == "tests":
                tests.append((s, k, v))
    emit({"event": "start", "tests": [{"name": n, "hidden": bool(s["hidden"]), "suite": s["name"]} for s, n, _ in tests]})

    Result = _result_class(unittest) if unittest is not None else None
    for s, name, t in tests:
        start = clock()
        if unittest is not None and isinstance(t, unittest.TestCase):
            r = Result()
            t.run(r)
            passed, message = r.verdict()
        else:
            try:
                t()
                passed, message = True, ""
            except AssertionError as e:
                passed, message = False, _exc_text(e, assertion=True)
            except BaseException as e:
                passed, message = False, _learner_error(e)
        restore()
        emit({"event": "test", "name": name, "suite": s["name"], "hidden": bool(s["hidden"]),
              "passed": passed, "message": message, "time_ms": round((clock() - start) * 1000, 3)})
    emit({"event": "end"})
    exit_(0)


def _exc_text(e, assertion=False):
    text = str(e)
    if assertion:
        return text or "assertion failed"
    return type(e).__name__ + (": " + text if text else "")


def _learner_error(e):
    """An exception as a message, with the last line of the learner's code
    it passed through (never a line of the tests)."""
    where = ""
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "/box/solution.py":
            where = " (solution.py line " + str(tb.tb_lineno) + ", in " + tb.tb_frame.f_code.co_name + ")"
        tb = tb.tb_next
    return _exc_text(e) + where


def _result_class(unittest):
    class Result(unittest.TestResult):
        """Keeps the first problem of one test. A skip is not a pass:
        a learner must not be able to skip their way to "solved"."""

        def __init__(self):
            super().__init__()
            self.problem = None

        def _note(self, text):
            if self.problem is None:
                self.problem = text

        def addFailure(self, test, err):
            self._note(_exc_text(err[1], assertion=True))

        def addError(self, test, err):
            self._note(_learner_error(err[1]))

        def addSubTest(self, test, subtest, err):
            if err is not None:
                prefix = subtest._subDescription().strip() + ": "
                if issubclass(err[0], test.failureException):
                    self._note(prefix + _exc_text(err[1], assertion=True))
                else:
                    self._note(prefix + _learner_error(err[1]))

        def addSkip(self, test, reason):
            self._note("skipped (" + str(reason) + "); a skipped test does not pass")

        def addExpectedFailure(self, test, err):
            pass

        def addUnexpectedSuccess(self, test):
            self._note("expected to fail, but passed")

        def verdict(self):
            return self.problem is None, self.problem or ""

    return Result


if __name__ == "__main__":
    _main()
