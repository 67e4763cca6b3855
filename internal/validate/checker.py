"""Check a learner's Python code without running it.

Reads {"code": str, "policy": {...}, "has_stdin": bool} as JSON on stdin and
writes one JSON object {"errors": [...], "warnings": [...]} on stdout. Each
issue has line and column (1-based; 0 when unknown), end_line, end_column,
message and, for errors, kind.

The code is only parsed (ast) and compiled to bytecode, never run: compiling
finds errors the parser leaves to the compiler ('return' outside function,
nonlocal at module level) and the compiler's own SyntaxWarnings, and
executes nothing. This script runs inside the sandbox all the same, because
the parser is C code fed with untrusted input.

The policy checks are a teaching aid and an operator policy; the sandbox is
the security boundary. They see through the spellings a learner is likely to
try (from-imports, builtins.eval, __builtins__['eval'], getattr with a
constant or concatenated name, object graph walks through dunders) but not
through names computed at run time.

A policy with "explain" set (teaching) follows each refusal with why the
rule exists and what to do instead; with "confine_files" set, open() is
allowed and a path written as a constant is held to the sandbox's files
(/box read, /tmp read and write).
"""

# The C modules under ast and json, and no re: a checker waits pre-started,
# but back-to-back checks outrun the refill and wait for a start, and these
# imports (ast, json, re and theirs: enum, collections, contextlib...)
# were 60 % of it (29.3 ms of task-clock against 12.5 on the machine of
# the change).
import _ast as ast
import _json
import codecs
import sys
import warnings

MAX_ISSUES = 100
NESTED = "code is nested too deeply"

# Names whose reference alone reaches the interpreter's internals.
ESCAPE_NAMES = frozenset({"__builtins__", "__loader__", "__spec__"})

# Attributes that walk from any object to builtins, other modules' globals,
# or code objects. __class__, __dict__ and __name__ stay allowed: lessons use
# them (self.__class__.__name__, obj.__dict__) and every known escape through
# them needs one of these names or a computed key as its next step.
ESCAPE_ATTRS = frozenset({
    "__subclasses__", "__globals__", "__builtins__", "__code__",
    "__closure__", "__mro__", "__bases__", "__base__", "__self__",
    "__getattribute__", "__loader__", "__spec__", "__import__",
    "__reduce__", "__reduce_ex__",
    # frames lead to f_builtins and other modules' globals
    "f_globals", "f_locals", "f_builtins", "f_back", "f_code",
    "tb_frame", "gi_frame", "cr_frame", "ag_frame", "gi_code", "cr_code",
})

ATTR_FUNCS = frozenset({"getattr", "setattr", "delattr"})


def iter_child_nodes(node, _AST=ast.AST):
    """ast.iter_child_nodes, without the ast module."""
    for name in node._fields:
        field = getattr(node, name, None)
        if isinstance(field, _AST):
            yield field
        elif isinstance(field, list):
            for item in field:
                if isinstance(item, _AST):
                    yield item


def walk(node):
    """ast.walk (breadth first, in the same order), without the ast module."""
    todo, i = [node], 0
    while i < len(todo):
        node = todo[i]
        i += 1
        todo.extend(iter_child_nodes(node))
        yield node


# str.format resolves "{0.__class__.__base__}" and "{0[__builtins__]}" at run
# time, outside the AST.
def format_fields(text):
    """The replacement fields of text as str.format would see them at
    their simplest: what is between a { and the next } with no brace in
    between (the regex \\{([^{}]*)\\} of findall)."""
    out, i, n = [], 0, len(text)
    while True:
        i = text.find("{", i)
        if i < 0:
            return out
        j = i + 1
        while j < n and text[j] not in "{}":
            j += 1
        if j < n and text[j] == "}":
            out.append(text[i + 1:j])
            i = j + 1
        else:
            i += 1


def field_names(field):
    """The attribute and index names in a replacement field: each word
    after a . or between [ and ] (findall of \\.(\\w+)|\\[(\\w+)\\])."""
    out, i, n = [], 0, len(field)
    while i < n:
        c = field[i]
        if c == "." or c == "[":
            j = i + 1
            while j < n and (field[j].isalnum() or field[j] == "_"):
                j += 1
            if j > i + 1 and (c == "." or (j < n and field[j] == "]")):
                out.append(field[i + 1:j])
                i = j + (c == "[")
                continue
        i += 1
    return out

FOLD_DEPTH = 32
MAX_FOLDED_STR = 10_000
MAX_INT_BITS = 4096

LARGE_RANGE = 10 ** 7

# Why each rule exists and what to do instead, for policies that explain
# themselves: (why, instead). A module missing here gets MODULE_DEFAULT.
PROCESSES = ("programs can't start other programs or touch other processes in this sandbox",
             "do the work in Python itself; to run shell commands, use a terminal on your own computer")
NETWORK = ("this sandbox has no network",
           "put the data in your program, read it with input(), or from a file you wrote to /tmp")
MACHINERY = ("loading modules by a computed name or through the import system gets past this check",
             "import the modules you need with an import statement at the top of the program")
INTERNALS = ("it reaches the interpreter's internals (other modules' variables, frames, every object)",
             "use the object's own attributes and methods")
NATIVE = ("native code reaches past every rule of this policy",
          "use Python's own modules (struct, array, numpy) for binary data")
UNPICKLING = ("unpickling can call any function, so it runs whatever the data says",
              "save and load data with json or csv")
EXPLAIN_MODULES = {
    "os": ("os reaches the operating system: running programs, environment, files anywhere",
           "use open() on /tmp for files and pathlib.Path for paths; read input with input() or open(0)"),
    "sys": ("sys hands out any module without an import (sys.modules) and the interpreter's frames",
            "read input with input() or open(0).read(), end the program with exit(), print errors with print()"),
    "posix": PROCESSES, "subprocess": PROCESSES, "multiprocessing": PROCESSES,
    "pty": PROCESSES, "signal": PROCESSES, "resource": PROCESSES, "shutil": PROCESSES,
    "fcntl": PROCESSES, "mmap": NATIVE, "faulthandler": INTERNALS,
    "socket": NETWORK, "urllib": NETWORK, "http": NETWORK, "ssl": NETWORK,
    "ftplib": NETWORK, "smtplib": NETWORK, "requests": NETWORK,
    "importlib": MACHINERY, "builtins": MACHINERY, "runpy": MACHINERY,
    "pkgutil": MACHINERY, "zipimport": MACHINERY,
    "inspect": INTERNALS, "gc": INTERNALS,
    "ctypes": NATIVE,
    "pickle": UNPICKLING, "marshal": UNPICKLING, "shelve": UNPICKLING,
}
MODULE_DEFAULT = ("{0} is not among the modules this policy allows (the standard library's "
                  "computation and teaching modules, numpy, pandas and matplotlib)",
                  "use one of those, or ask the course's author to allow {0}")
EXPLAIN_CALLS = {
    "eval": ("running a string as code gets past this check",
             "call functions directly; turn text into numbers with int() or float(), into data with json.loads()"),
    "__import__": MACHINERY,
    "breakpoint": ("there is no debugger in this sandbox", "print() the values you want to see"),
    "open": ("this policy gives programs no files", "read input with input(); keep data in variables"),
}
for name in ("exec", "compile"):
    EXPLAIN_CALLS[name] = EXPLAIN_CALLS["eval"]
for name in ("globals", "locals", "vars"):
    EXPLAIN_CALLS[name] = ("it hands out the namespace dicts that lead to the interpreter's builtins",
                           "keep your values in a dict of your own; use obj.__dict__ for an object's attributes")
RELATIVE = ("a program here is one file, main.py", "put everything in main.py")

# Where a program's files are, for ConfineFiles: it runs in /box.
WORKDIR = "/box"
READABLE = ("/box", "/tmp")
WRITABLE = ("/tmp",)


class _Decoding:
    """What _json's scanner reads off json.JSONDecoder: its defaults."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name):
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


def loads(data):
    """json.loads of the request (UTF-8 bytes) with _json's scanner."""
    text = data.decode("utf-8").strip(" \t\n\r")
    value, end = _json.make_scanner(_Decoding)(text, 0)
    if end != len(text):
        raise ValueError("extra data after the request at %d" % end)
    return value


def _unencodable(o):
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def dumps(value):
    """json.dumps(value) with its defaults, with _json's encoder."""
    encode = _json.make_encoder(None, _unencodable, _json.encode_basestring_ascii,
                                None, ": ", ", ", False, False, True)
    return "".join(encode(value, 0))


def main():
    request = loads(sys.stdin.buffer.read())
    report = check(
        request.get("code", ""),
        request.get("policy") or {},
        bool(request.get("has_stdin")),
    )
    sys.stdout.write(dumps(report))


def check(code, policy, has_stdin):
    report = Report(code)
    # The interpreter reads main.py as bytes: it skips a UTF-8 BOM and obeys
    # a coding declaration. Parsing the same bytes (not the decoded str)
    # means the checker sees exactly the program that will run.
    source = code.encode("utf-8", "surrogatepass")
    if not policy.get("syntax_only") and foreign_coding(source, report):
        return report.as_dict()
    tree = parse(source, report, bool(policy.get("warnings")))
    if tree is None:
        return report.as_dict()
    try:
        if not policy.get("syntax_only"):
            PolicyCheck(policy, report).run(tree)
        if policy.get("warnings"):
            teaching_warnings(tree, report, has_stdin)
    except (RecursionError, MemoryError):
        # The walks are iterative and compile() already accepted the tree,
        # so this is a safety net, not an expected path.
        report.error(NESTED, kind="nesting")
    return report.as_dict()


class Report:
    def __init__(self, code):
        self.lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.errors = []
        self.warnings = []

    def error(self, message, line=0, column=0, end_line=0, end_column=0,
              kind="policy"):
        self.errors.append({
            "line": line, "column": column, "end_line": end_line,
            "end_column": end_column, "message": message, "kind": kind,
        })

    def node_error(self, node, message, at_attr=None):
        self.error(message, *self.span(node, at_attr))

    def warn(self, message, line=0, column=0, end_line=0, end_column=0):
        self.warnings.append({
            "line": line, "column": column, "end_line": end_line,
            "end_column": end_column, "message": message,
        })

    def node_warn(self, node, message):
        self.warn(message, *self.span(node))

    def span(self, node, at_attr=None):
        """1-based character positions of node (ast gives UTF-8 byte offsets).

        With at_attr, the span is the attribute name of an Attribute node, so
        the editor underlines ".__subclasses__", not the whole chain."""
        line = getattr(node, "lineno", 0) or 0
        col = getattr(node, "col_offset", 0) or 0
        end_line = getattr(node, "end_lineno", 0) or line
        end_col = getattr(node, "end_col_offset", 0) or col
        if at_attr is not None:
            line = end_line
            col = max(0, end_col - len(at_attr.encode("utf-8")))
        return (line, self.char_column(line, col),
                end_line, self.char_column(end_line, end_col))

    def char_column(self, line, byte_offset):
        if line < 1 or line > len(self.lines):
            return byte_offset + 1
        prefix = self.lines[line - 1].encode("utf-8")[:byte_offset]
        return len(prefix.decode("utf-8", "ignore")) + 1

    def as_dict(self):
        key = lambda i: (i["line"], i["column"], i["message"])
        return {
            "errors": dedupe(sorted(self.errors, key=key))[:MAX_ISSUES],
            "warnings": dedupe(sorted(self.warnings, key=key))[:MAX_ISSUES],
        }


def dedupe(issues):
    seen, out = set(), []
    for issue in issues:
        k = (issue["line"], issue["column"], issue["message"])
        if k not in seen:
            seen.add(k)
            out.append(issue)
    return out


def coding_name(line):
    """Where a PEP 263 declaration's name is in line (bytes), as the
    tokenizer matches it on line 1 or 2 (the regex
    ^[ \\t\\f]*#.*?coding[:=][ \\t]*([-\\w.]+)), or None."""
    n = len(line)
    i = 0
    while i < n and line[i] in b" \t\f":
        i += 1
    if i == n or line[i] != ord("#"):
        return None
    k = i + 1
    while True:
        k = line.find(b"coding", k)
        if k < 0:
            return None
        p = k + 6
        if p < n and line[p] in b":=":
            p += 1
            while p < n and line[p] in b" \t":
                p += 1
            q = p
            while q < n and line[q] < 128 and (chr(line[q]).isalnum() or line[q] in b"-_."):
                q += 1
            if q > p:
                return p, q
        k += 1


def foreign_coding(source, report):
    """Refuse a coding declaration other than UTF-8: with, say, utf-7 a
    line that is a comment to anyone reading it is code to the interpreter
    (# +AAo-import os), so the policy and the learner would disagree with
    what runs."""
    for number, line in enumerate(source.splitlines()[:2], 1):
        m = coding_name(line)
        if m is None:
            continue
        start, end = m
        name = line[start:end].decode("ascii", "replace")
        if is_utf8(name):
            return False
        report.error(
            f"Security violation: coding declaration {name!r} is not allowed; "
            "code is UTF-8 (remove the declaration or declare utf-8)",
            number, report.char_column(number, start),
            number, report.char_column(number, end))
        return True
    return False


def is_utf8(name):
    """Whether Python reads a file declared as name as UTF-8."""
    normal = name.lower().replace("_", "-")
    if normal == "utf-8" or normal.startswith("utf-8-"):
        return True  # the tokenizer's own shortcut (utf-8-unix, utf_8...)
    try:
        return codecs.lookup(name).name == "utf-8"
    except LookupError:
        return False


def parse(code, report, want_warnings):
    """The tree, or None after reporting why the code does not compile."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = None
        try:
            tree = compile(code, "main.py", "exec", ast.PyCF_ONLY_AST,
                           dont_inherit=True)
            compile(tree, "main.py", "exec", dont_inherit=True)
        except SyntaxError as e:
            # CPython uses -1 and None for "unknown"; the report uses 0.
            line, column, end_line, end_column = (
                max(0, n or 0) for n in (e.lineno, e.offset, e.end_lineno, e.end_offset))
            # The parser, given bytes, counts columns in UTF-8 bytes where
            # it counts characters given the decoded text (and when python3
            # main.py reports it); the compiler counts bytes either way.
            if tree is None:
                if column:
                    column = report.char_column(line, column - 1)
                if end_column:
                    end_column = report.char_column(end_line, end_column - 1)
            report.error(e.msg, line, column, end_line, end_column, type(e).__name__)
            return None
        except (RecursionError, MemoryError) as e:
            # CPython's own compiler gives up on this nesting, so running the
            # code fails the same way: a language error (kind named after the
            # exception), not a policy one.
            report.error(NESTED, kind=type(e).__name__)
            return None
        except ValueError as e:
            # 3.11 raises ValueError for NUL bytes; 3.12+ a SyntaxError.
            line, column = nul_position(code)
            report.error(str(e), line, column, line, column, "SyntaxError")
            return None
    if want_warnings:
        for w in caught:
            if issubclass(w.category, (SyntaxWarning, DeprecationWarning)):
                report.warn(str(w.message), w.lineno or 0)
    return tree


def nul_position(code):
    if isinstance(code, bytes):
        code = code.decode("utf-8", "replace")
    i = code.find("\0")
    if i < 0:
        return 0, 0
    before = code[:i]
    line = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return line, i - start + 1


def fold_str(node, depth=0):
    """The string a constant expression spells ("ev" + "al"), else None."""
    if depth > FOLD_DEPTH:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add):
            left = fold_str(node.left, depth + 1)
            right = fold_str(node.right, depth + 1)
            if left is not None and right is not None:
                return cap_str(left + right)
        if isinstance(node.op, ast.Mult):
            text = fold_str(node.left, depth + 1)
            times = fold_int(node.right, depth + 1)
            if text is not None and times is not None:
                if 0 <= times and len(text) * times <= MAX_FOLDED_STR:
                    return text * times
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.conversion != -1 or value.format_spec is not None:
                    return None
                value = value.value
            part = fold_str(value, depth + 1)
            if part is None:
                return None
            parts.append(part)
        return cap_str("".join(parts))
    return None


def cap_str(text):
    return text if len(text) <= MAX_FOLDED_STR else None


def fold_int(node, depth=0):
    """The int a constant expression evaluates to (10**7), else None.

    Sizes are capped so that folding 10**10**10 costs nothing."""
    if depth > FOLD_DEPTH:
        return None
    if isinstance(node, ast.Constant):
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = fold_int(node.operand, depth + 1)
        if value is None:
            return None
        return -value if isinstance(node.op, ast.USub) else value
    if not isinstance(node, ast.BinOp):
        return None
    left = fold_int(node.left, depth + 1)
    right = fold_int(node.right, depth + 1)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            return None
        return left * right
    if isinstance(node.op, ast.FloorDiv) and right != 0:
        return left // right
    if isinstance(node.op, ast.Pow) and right >= 0:
        if left.bit_length() * right > MAX_INT_BITS:
            return None
        return left ** right
    return None


def root_name(node):
    """The name an attribute chain starts from: "random" for random._os.x."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def is_dunder(name):
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def explained(message, reason, explain):
    """message, with why and what to do instead when the policy explains."""
    if not explain or reason is None:
        return message
    why, instead = reason
    return f"{message}: {why}. Instead, {instead}."


def normal_path(path):
    """path made absolute against the working directory, without . and .."""
    if not path.startswith("/"):
        path = WORKDIR + "/" + path
    parts = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def under(path, roots):
    return any(path == r or path.startswith(r + "/") for r in roots)


class PolicyCheck:
    def __init__(self, policy, report):
        self.report = report
        self.explain = bool(policy.get("explain"))
        self.confine_files = bool(policy.get("confine_files"))
        self.allow_all = bool(policy.get("allow_all_imports"))
        self.allowed = frozenset(policy.get("allowed_imports") or ())
        self.denied_imports = frozenset(policy.get("denied_imports") or ())
        self.denied_calls = frozenset(policy.get("denied_calls") or ())
        self.escapes = bool(policy.get("flag_dunder_escapes"))
        self.imported = set()

    def run(self, tree):
        for node in walk(tree):
            if isinstance(node, ast.Import):
                self.imported.update(
                    a.asname or a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                self.imported.update(a.asname or a.name for a in node.names)
        for node in walk(tree):
            visit = getattr(self, "visit_" + type(node).__name__, None)
            if visit is not None:
                visit(node)

    def module(self, node, name):
        top = name.split(".")[0]
        if top == "__future__":
            return  # a compiler directive, not a module the code can use
        if top in self.denied_imports or not (self.allow_all or top in self.allowed):
            self.report.node_error(node, self.module_message(top))

    def module_message(self, top):
        reason = EXPLAIN_MODULES.get(top)
        if reason is None:
            reason = tuple(part.format(top) for part in MODULE_DEFAULT)
        return explained(f"Security violation: import {top} is not allowed", reason, self.explain)

    def is_denied_module(self, name):
        """Whether name is a denied module under a module's attribute
        (random._os, typing.sys): allowed modules import denied ones."""
        return name in self.denied_imports or name.lstrip("_") in self.denied_imports

    def reached_module(self, node, name, at_attr=None):
        self.report.node_error(node, self.module_message(self.module_name(name)), at_attr)

    def module_name(self, name):
        return name if name in self.denied_imports else name.lstrip("_")

    def denied(self, node, name, at_attr=None):
        self.report.node_error(
            node, explained(f"Security violation: {name}() is not allowed",
                            EXPLAIN_CALLS.get(name), self.explain), at_attr)

    def escape(self, node, name, at_attr=None):
        self.report.node_error(
            node, explained(f"Security violation: {name} is not allowed", INTERNALS, self.explain), at_attr)

    def is_builtins(self, node, depth=0):
        """Whether node evaluates to the builtins module or its dict."""
        if depth > FOLD_DEPTH:
            return False
        if isinstance(node, ast.Name):
            return node.id in ("builtins", "__builtins__")
        if isinstance(node, ast.Attribute):
            if node.attr == "__builtins__":
                return True
            return node.attr == "__dict__" and self.is_builtins(node.value, depth + 1)
        if isinstance(node, ast.Subscript):
            return fold_str(node.slice) == "__builtins__"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "vars" and node.args:
                return self.is_builtins(node.args[0], depth + 1)
        return False

    def visit_Import(self, node):
        for alias in node.names:
            self.module(node, alias.name)

    def visit_ImportFrom(self, node):
        if node.level:
            if not self.allow_all:
                self.report.node_error(
                    node, explained("Security violation: relative imports are not allowed",
                                    RELATIVE, self.explain))
            return
        self.module(node, node.module or "")
        for alias in node.names:
            if self.is_denied_module(alias.name):
                self.reached_module(node, alias.name)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.denied_calls:
            self.denied(node, node.id)
        if self.escapes and node.id in ESCAPE_NAMES:
            self.escape(node, node.id)

    def visit_Attribute(self, node):
        if self.escapes and node.attr in ESCAPE_ATTRS:
            self.escape(node, node.attr, at_attr=node.attr)
        if node.attr in self.denied_calls and self.is_builtins(node.value):
            self.denied(node, node.attr, at_attr=node.attr)
        if self.is_denied_module(node.attr) and root_name(node) in self.imported:
            self.reached_module(node, node.attr, at_attr=node.attr)

    def visit_MatchClass(self, node):
        # case object(__self__=b) reads the attribute like b = x.__self__
        for attr in node.kwd_attrs:
            if self.escapes and attr in ESCAPE_ATTRS:
                self.escape(node, attr)

    def visit_Subscript(self, node):
        key = fold_str(node.slice)
        if key is None:
            return
        if key in self.denied_calls and self.is_builtins(node.value):
            self.denied(node, key)
        if self.escapes and (key in ESCAPE_ATTRS or key in ESCAPE_NAMES):
            self.escape(node, key)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id in ATTR_FUNCS and len(node.args) >= 2:
            name = fold_str(node.args[1])
            if name is not None:
                if name in self.denied_calls and self.is_builtins(node.args[0]):
                    self.denied(node, name)
                if self.escapes and is_dunder(name):
                    self.report.node_error(
                        node, explained(f"Security violation: {func.id}() with {name!r} is not allowed",
                                        INTERNALS, self.explain))
                if self.is_denied_module(name):
                    self.reached_module(node, name)
        if (isinstance(func, ast.Attribute) and func.attr == "import_module"
                and isinstance(func.value, ast.Name) and func.value.id == "importlib"):
            self.module(node, "importlib")
            target = fold_str(node.args[0]) if node.args else None
            if target is not None and not target.startswith("."):
                self.module(node, target)
        if self.confine_files and "open" not in self.denied_calls and is_open(func):
            self.file_access(node)

    def file_access(self, node):
        """Refuse a constant path outside the sandbox's files; the guard
        checks every path, constant or not, when the program runs."""
        path = fold_str(node.args[0]) if node.args else None
        mode = fold_str(node.args[1]) if len(node.args) > 1 else None
        for kw in node.keywords:
            if kw.arg == "file":
                path = fold_str(kw.value)
            elif kw.arg == "mode":
                mode = fold_str(kw.value)
        if path is None:
            return
        full = normal_path(path)
        name = full.rsplit("/", 1)[-1] or "data.txt"
        if mode is not None and any(c in mode for c in "wax+"):
            if not under(full, WRITABLE):
                self.report.node_error(node, explained(
                    f"Security violation: writing {full} is not allowed",
                    ("only /tmp is writable in this sandbox",
                     f"write to /tmp/{name} (and read it back from there)"), self.explain))
        elif not under(full, READABLE):
            self.report.node_error(node, explained(
                f"Security violation: reading {full} is not allowed",
                ("a program here can read only its own folder (/box) and /tmp, not the rest of the machine",
                 "read files your program wrote to /tmp, or take input with input()"), self.explain))

    def visit_Constant(self, node):
        if not self.escapes or not isinstance(node.value, str) or "{" not in node.value:
            return
        for field in format_fields(node.value):
            for name in field_names(field):
                if name in ESCAPE_ATTRS or name in ESCAPE_NAMES:
                    self.escape(node, name)


def is_open(func):
    """open(...) or io.open(...)."""
    if isinstance(func, ast.Name):
        return func.id == "open"
    return (isinstance(func, ast.Attribute) and func.attr == "open"
            and isinstance(func.value, ast.Name) and func.value.id == "io")


def teaching_warnings(tree, report, has_stdin):
    for node in walk(tree):
        if isinstance(node, ast.While) and is_true_constant(node.test):
            if not loop_can_end(node):
                report.node_warn(node, "infinite loop: while True has no break")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "input" and not has_stdin:
                report.node_warn(
                    node, "input() is called but this run has no input: it will raise EOFError")
            elif node.func.id == "range":
                count = range_length(node)
                if count is not None and count >= LARGE_RANGE:
                    report.node_warn(
                        node, f"very large range: {count} iterations may exceed the time limit")
        elif isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Compare):
                report.node_warn(node, "comparison result is unused (did you mean =?)")
            elif isinstance(node.value, ast.Name) and node.value.id == "print":
                report.node_warn(node, "print is not called: write print(...)")
        elif isinstance(node, ast.ExceptHandler) and node.type is None:
            report.node_warn(
                node, "bare except: catches every exception, even KeyboardInterrupt; name the one you expect")


def is_true_constant(node):
    return isinstance(node, ast.Constant) and bool(node.value)


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
LOOPS = (ast.For, ast.AsyncFor, ast.While)


def loop_can_end(loop):
    """Whether the body of an endless loop has a way out of it: a break that
    belongs to it, or a return, raise, yield or exit() anywhere in it."""
    stack = [(child, False) for child in loop.body]
    while stack:
        node, in_inner_loop = stack.pop()
        if isinstance(node, SCOPES):
            continue
        if isinstance(node, ast.Break) and not in_inner_loop:
            return True
        if isinstance(node, (ast.Return, ast.Raise, ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, ast.Call) and is_exit_call(node.func):
            return True
        if isinstance(node, LOOPS):
            # a break in the inner loop's else clause leaves the outer loop
            stack.extend((child, True) for child in node.body)
            stack.extend((child, in_inner_loop) for child in node.orelse)
            head = node.test if isinstance(node, ast.While) else node.iter
            stack.append((head, in_inner_loop))
            continue
        stack.extend((child, in_inner_loop) for child in iter_child_nodes(node))
    return False


def is_exit_call(func):
    if isinstance(func, ast.Name):
        return func.id in ("exit", "quit")
    return (isinstance(func, ast.Attribute) and func.attr in ("exit", "_exit")
            and isinstance(func.value, ast.Name) and func.value.id in ("sys", "os"))


def range_length(call):
    if call.keywords or not 1 <= len(call.args) <= 3:
        return None
    values = [fold_int(arg) for arg in call.args]
    if any(v is None for v in values):
        return None
    start, stop, step = 0, values[0], 1
    if len(values) >= 2:
        start, stop = values[0], values[1]
    if len(values) == 3:
        step = values[2]
    if step == 0:
        return None
    # len(range(...)) overflows past sys.maxsize; this does not.
    if step > 0:
        return max(0, (stop - start + step - 1) // step)
    return max(0, (start - stop - step - 1) // -step)


if __name__ == "__main__":
    main()
    # The answer is out: ending here skips the interpreter's teardown
    # (freeing every module), which is half of a warm checker's time.
    sys.stdout.flush()
    import posix
    posix._exit(0)
