"""runblock's run-time policy guard for Python.

Started as `python3 -u runblock_guard.pyc main.py` inside the sandbox (the
server compiles this file once; compiling it for every run would cost more
than the rest of a hello world), in
place of `python3 -u main.py`. Before the learner's code exists as code, it
installs an audit hook (sys.addaudithook, PEP 578) that no Python code can
remove, and an __import__ that checks who imports what; then it runs main.py
as python3 would (same sys.argv, sys.path[0], __main__, __file__).

A refused action is not an exception the program could catch: the hook
writes one line, "runblock-policy: <why>", to stderr and ends the process
with os._exit(EXIT_CODE); the server reports the run as "rejected". A
program that prints such a line and exits with that code itself only fools
its own author.

What the hook decides on, and why that way:

- Actions are refused whoever asks (learner or library): running programs
  (os.system, os.exec*, os.spawn*, os.posix_spawn, os.fork, os.forkpty,
  subprocess.Popen), signalling processes, ctypes (loading libraries,
  raw memory), sockets, unpickling callables of denied modules, new audit
  hooks, tracing and profiling hooks, sub-interpreters, and gc's walks over
  every object (they reach the hook itself).
- Files, when the policy denies open() or allows it confined
  (confine_files): reading is allowed under /usr, /box, /tmp and /etc (only
  a few files of it exist in the sandbox) and a few devices; writing only
  under /tmp. Libraries open their own data files, so this is decided by
  path, not by caller.
- Imports, compile/exec/eval, frames (sys._getframe, tb_frame...), code
  objects and function code swaps are refused only when the code asking is
  the learner's: any frame whose file is not under /usr (the standard
  library and the Debian packages), not frozen and not this guard. typing,
  dataclasses and namedtuple exec code of their own and stay usable; the
  code they compile from the learner's strings (annotations evaluated by
  typing.get_type_hints) runs as '<string>', which is the learner's.

Two of matplotlib's and the platform module's probes (fc-list, uname -p)
are refused softly (PermissionError, which they expect), so that importing
them still works: nothing is run either way.

With POLICY None (see guard.go's StartScript) nothing is installed: the
same file starts warm sandboxes of runs that need no guard, so that guarded
and unguarded runs start main.py the one same way.

The hook keeps its state in default arguments (tuples, frozensets and C
functions: nothing a program can change in place) and reads no global or
builtin name while it runs, so a program that reaches this module's globals
or replaces builtins cannot change its verdicts.
"""

import sys

# The policy, written here as JSON by the server (see guard.go).
true, false, null = True, False, None
POLICY = {}  # runblock:policy
del true, false, null

# What site sets up for this interpreter, written here by the server (see
# guard.go): started with -S, the guard does site's work itself. "dirs":
# its site-packages; "namespaces": packages its *-nspkg.pth files make.
SITE = None  # runblock:site

EXIT_CODE = 97
WARM = False  # set when started by a warm sandbox (--runblock-warm=)
PREFIX = "runblock-policy: "

# The file name the guard's own code carries (it may run from a .pyc).
GUARD = (lambda: 0).__code__.co_filename
# /opt/runblock holds runblock's own modules (the matplotlib backend that
# sends figures), bound read-only by the server like /usr.
TRUSTED = ("/usr/", "<frozen ", "/opt/runblock/")
READ_PREFIXES = ("/usr/", "/box/", "/tmp/", "/etc/", "/opt/runblock/")
READ_FILES = frozenset({"/usr", "/box", "/tmp", "/etc", "/opt/runblock", "/dev/null", "/dev/zero",
                        "/dev/urandom", "/dev/random"})
WRITE_PREFIXES = ("/tmp/",)
WRITE_FILES = frozenset({"/tmp", "/dev/null"})

# Library probes that expect failure and cope with it.
SOFT_COMMANDS = frozenset({("uname", "-p"), ("fc-list", "--help"),
                           ("fc-list", "--format=%{file}\\n")})

FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
CODE_ATTRS = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
# Builtins that, unpickled, call or fetch anything they are given.
PICKLE_BUILTINS = frozenset({"eval", "exec", "compile", "open", "__import__",
                             "getattr", "setattr", "delattr", "globals", "locals",
                             "vars", "breakpoint", "input", "memoryview"})
PROCESS_EVENTS = frozenset({"os.system", "os.exec", "os.posix_spawn", "os.spawn",
                            "os.fork", "os.forkpty", "os.kill", "os.killpg",
                            "os.startfile", "pty.spawn"})
WRITE_EVENTS = frozenset({"os.mkdir", "os.remove", "os.rmdir", "os.rename",
                          "os.chmod", "os.chown", "os.truncate", "os.utime",
                          "os.chflags", "os.lchflags", "os.setxattr",
                          "os.removexattr", "os.mkfifo", "os.mknod"})
LIST_EVENTS = frozenset({"os.listdir", "os.scandir"})
ALWAYS_EVENTS = frozenset({"sys.addaudithook", "cpython.PyInterpreterState_New",
                           "sys._current_frames", "sys._current_exceptions",
                           "sys.settrace", "sys.setprofile", "gc.get_objects",
                           "gc.get_referrers", "gc.get_referents", "os.link",
                           "os.symlink"})


def _allowed(module, policy):
    if module == "__future__":
        return True
    if module in policy["denied_imports"]:
        return False
    return policy["allow_all_imports"] or module in policy["allowed_imports"]


def _untrusted(frame, _guard=GUARD, _trusted=TRUSTED):
    """Whether frame runs the learner's code (or code compiled from it)."""
    if frame is None:
        return False
    name = frame.f_code.co_filename
    return not (name == _guard or name.startswith(_trusted))


def _normal(path, _cwd=None, _str=str, _bytes=bytes, _type=type, _slice=slice):
    """An absolute path without . and .. parts, or None for a path given
    as something other than str or bytes."""
    t = _type(path)
    if t is _bytes:
        path = _bytes.decode(path, "utf-8", "surrogateescape")
    elif t is not _str:
        return None
    else:
        path = _str.__getitem__(path, _slice(None))  # a str subclass's text, as a str
    if not path.startswith("/"):
        path = _cwd() + "/" + path
    parts = []
    for part in path.split("/"):
        if part == "" or part == ".":
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def _shown(text, _len=len):
    """text fit for one line of the report."""
    if _len(text) > 200:
        text = text[:200] + "..."
    return text.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace") \
        .replace("\n", "\\n").replace("\r", "\\r")


def _ctypes_import(frame, _guard=GUARD):
    """Whether ctypes.dlopen(None) comes from `import ctypes` itself (its
    module code loads the interpreter's own symbols as ctypes.pythonapi),
    which numpy does on import. Any later dlopen is refused."""
    caller = frame.f_back  # CDLL.__init__
    if caller is None or caller.f_back is None:
        return False
    module = caller.f_back
    code = module.f_code
    return code.co_name == "<module>" and code.co_filename.endswith("/ctypes/__init__.py") \
        and code.co_filename.startswith("/usr/")


def _doctest_run(frame, _sys=sys, _gettrace=sys.gettrace, _settrace=sys.settrace):
    """Whether frame is doctest's own code calling the real sys: its
    DocTestRunner.run turns tracing off around the examples and back to
    sys.gettrace()'s answer, which is None, since no program can set a
    tracer while this guard runs. A doctest whose sys, or sys.gettrace,
    was swapped by the program does not count; pdb and threading set
    tracers of the caller's choosing from other files, still refused."""
    if frame is None:
        return False
    name = frame.f_code.co_filename
    if not (name.startswith("/usr/lib/python3") and name.endswith("/doctest.py") and "/." not in name):
        return False
    return frame.f_globals.get("sys") is _sys and _sys.gettrace is _gettrace and \
        _sys.settrace is _settrace and _gettrace() is None


def _make_hook(policy):
    import posix

    denied_mods = frozenset(policy["denied_imports"])
    calls = frozenset(policy["denied_calls"])
    escapes = bool(policy["flag_dunder_escapes"])
    rules = (
        not (_allowed("os", policy) and _allowed("subprocess", policy)),   # processes
        not _allowed("ctypes", policy),
        not _allowed("socket", policy),
        escapes or not _allowed("sys", policy),                             # frames, tracing
        bool(calls & {"eval", "exec", "compile"}),                          # new code
        "open" in calls or bool(policy.get("confine_files")),               # files
    )
    write_flags = posix.O_WRONLY | posix.O_RDWR | posix.O_CREAT | posix.O_TRUNC | posix.O_APPEND
    name = policy["name"]

    def hook(event, args,
             _rules=rules, _denied=denied_mods, _name=name, _write=posix.write,
             _exit=posix._exit, _cwd=posix.getcwd, _getframe=sys._getframe,
             _untrusted=_untrusted, _normal=_normal, _shown=_shown, _type=type,
             _str=str, _int=int, _tuple=tuple, _list=list, _guard=GUARD,
             _process=PROCESS_EVENTS, _writes=WRITE_EVENTS, _lists=LIST_EVENTS,
             _always=ALWAYS_EVENTS, _frame_attrs=FRAME_ATTRS, _code_attrs=CODE_ATTRS,
             _soft=SOFT_COMMANDS, _pickle_builtins=PICKLE_BUILTINS,
             _read_prefixes=READ_PREFIXES, _read_files=READ_FILES,
             _write_prefixes=WRITE_PREFIXES, _write_files=WRITE_FILES,
             _write_flags=write_flags, _prefix=PREFIX, _code=EXIT_CODE,
             _trusted=TRUSTED, _ctypes_import=_ctypes_import, _len=len, _func=type(_untrusted),
             _perm=PermissionError, _frame=type(sys._getframe()), _doctest=_doctest_run):
        processes, ctypes, network, frames, new_code, files = _rules
        why = None
        if event == "open":
            if files:
                path, mode, flags = args
                if _type(path) is _int:
                    return  # a descriptor already open
                if _type(path) is _str and _type(mode) is _str and mode == "r" and \
                        path.startswith("/usr/") and "/." not in path:
                    return  # the common case by far: a library reading its own files
                p = _normal(path, _cwd)
                writing = (_type(flags) is _int and flags & _write_flags) or \
                    (_type(mode) is _str and ("w" in mode or "a" in mode or "x" in mode or "+" in mode))
                if p is None:
                    if _untrusted(_getframe(0).f_back):
                        why = "opening a path given as an object is not allowed; pass a str"
                elif writing:
                    if not (p in _write_files or p.startswith(_write_prefixes)):
                        why = "writing " + _shown(p) + " is not allowed: only /tmp is writable"
                elif not (p in _read_files or p.startswith(_read_prefixes)):
                    why = "reading " + _shown(p) + " is not allowed: only /usr, /box and /tmp are readable"
        elif event == "sys._getframe":
            # The hook's own _getframe(0) asks too: let it through unasked.
            if frames and _type(args[0]) is _frame and args[0].f_code.co_filename != _guard and \
                    _untrusted(_getframe(0).f_back):
                why = "sys._getframe() is not allowed: frames lead to other code's variables"
        elif event == "object.__getattr__":
            if frames and _type(args[1]) is _str and args[1] in _frame_attrs and _untrusted(_getframe(0).f_back):
                why = "reading ." + args[1] + " is not allowed: frames lead to other code's variables"
        elif event == "object.__setattr__" or event == "object.__delattr__":
            if _type(args[1]) is _str and args[1] in _code_attrs:
                if _type(args[0]) is _func and args[0].__code__.co_filename == _guard:
                    why = "changing the policy guard is not allowed"
                elif frames and _untrusted(_getframe(0).f_back):
                    why = "replacing a function's " + args[1] + " is not allowed"
        elif event in _process:
            if processes:
                why = event + "() is not allowed: the policy does not allow running or signalling programs"
        elif event == "subprocess.Popen":
            if processes:
                argv = args[1]
                if (_type(argv) is _list or _type(argv) is _tuple) and _len(argv) == 2 and args[2] is None and args[3] is None \
                        and _type(argv[0]) is _str and _type(argv[1]) is _str \
                        and (argv[0], argv[1]) in _soft and _type(args[0]) is _str and args[0] == argv[0]:
                    raise _perm(1, "not allowed by the runblock policy", argv[0])
                why = "subprocess is not allowed: the policy does not allow running programs"
        elif event == "compile" or event == "exec":
            if new_code and _untrusted(_getframe(0).f_back):
                why = event + "() of new code is not allowed"
            elif event == "compile" and _type(args[1]) is _str and \
                    (args[1] == _guard or args[1].startswith(_trusted)) and \
                    _untrusted(_getframe(0).f_back):
                why = "compiling code under a library's file name is not allowed"
        elif event == "code.__new__" or event == "marshal.loads" or event == "marshal.load":
            if (frames or new_code) and _untrusted(_getframe(0).f_back):
                why = "making code objects is not allowed"
        elif event == "pickle.find_class":
            module, attr = args
            if _type(module) is _str and _type(attr) is _str:
                top = module.partition(".")[0]
                if top == "builtins":
                    if attr in _pickle_builtins:
                        why = "unpickling builtins." + _shown(attr) + " is not allowed"
                elif top in _denied or top.lstrip("_") in _denied or top == "posix":
                    why = "unpickling " + _shown(module + "." + attr) + " is not allowed: import " + _shown(top) + " is not allowed"
            else:
                why = "unpickling a global with a non-str name is not allowed"
        elif event in _writes:
            if files:
                p = _normal(args[0], _cwd) if _type(args[0]) is not _int else "/tmp"
                q = "/tmp"
                if event == "os.rename":
                    q = _normal(args[1], _cwd)
                for x in (p, q):
                    if x is None:
                        if _untrusted(_getframe(0).f_back):
                            why = event + "() with a path given as an object is not allowed; pass a str"
                    elif not (x in _write_files or x.startswith(_write_prefixes)):
                        why = event + "(" + _shown(x) + ") is not allowed: only /tmp is writable"
        elif event in _lists:
            if files and _type(args[0]) is not _int:
                p = _normal(args[0] if args[0] is not None else ".", _cwd)
                if p is not None and not (p in _read_files or p.startswith(_read_prefixes)):
                    why = "listing " + _shown(p) + " is not allowed: only /usr, /box and /tmp are readable"
        elif event in _always:
            if not (event == "sys.settrace" and _doctest(_getframe(0).f_back)):
                why = event + "() is not allowed while the policy guard runs"
        elif event.startswith("ctypes."):
            if ctypes and not (event == "ctypes.dlopen" and args[0] is None and _ctypes_import(_getframe(0))):
                why = "ctypes is not allowed: " + event + " (native code reaches past the policy)"
        elif event.startswith("socket."):
            if network:
                why = "network access is not allowed: " + event
        if why is not None:
            _write(2, (_prefix + why + " (policy " + _name + ")\n").encode("utf-8", "backslashreplace"))
            _exit(_code)

    return hook


def _make_import(policy, hook_refuse):
    import builtins

    original = builtins.__import__
    getframe = sys._getframe
    allowed = frozenset(policy["allowed_imports"])
    denied = frozenset(policy["denied_imports"])
    allow_all = bool(policy["allow_all_imports"])

    def module_ok(top):
        if top == "__future__":
            return True
        return top not in denied and (allow_all or top in allowed)

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if _untrusted(getframe(1)):
            if level:
                if not allow_all:
                    hook_refuse("relative imports are not allowed")
            else:
                top = name.partition(".")[0]
                if not module_ok(top):
                    hook_refuse("import " + _shown(top) + " is not allowed")
                for attr in fromlist or ():
                    if type(attr) is str and (attr in denied or attr.lstrip("_") in denied):
                        hook_refuse("import " + _shown(attr.lstrip("_") if attr not in denied else attr) + " is not allowed")
        return original(name, globals, locals, fromlist, level)

    guarded_import.__doc__ = original.__doc__
    return guarded_import


def _refuser(policy):
    import posix
    write, exit_, name = posix.write, posix._exit, policy["name"]

    def refuse(why):
        write(2, (PREFIX + why + " (policy " + name + ")\n").encode("utf-8", "backslashreplace"))
        exit_(EXIT_CODE)
    return refuse


def _print_exception(exc):
    """Print exc as python3 main.py would: without this guard's frames."""
    import traceback
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
    seen = set()
    todo = [te]
    while todo:
        t = todo.pop()
        if t is None or id(t) in seen:
            continue
        seen.add(id(t))
        t.stack = traceback.StackSummary.from_list(
            [f for f in t.stack if f.filename != GUARD])
        todo.extend((t.__cause__, t.__context__))
        todo.extend(getattr(t, "exceptions", None) or ())
    sys.stderr.write("".join(te.format()))
    sys.stderr.flush()


def _printer(sitebuiltins, name, data):
    """_sitebuiltins._Printer(name, data) without its __init__, which
    imports os (a millisecond of a hello world's start) only to join file
    names; these printers have none. A Python whose _Printer keeps other
    state gets the ordinary constructor."""
    cls = sitebuiltins._Printer
    if cls.__init__.__code__.co_varnames[:5] != ("self", "name", "data", "files", "dirs"):
        return cls(name, data)
    p = object.__new__(cls)
    p._Printer__name, p._Printer__data = name, data
    p._Printer__lines, p._Printer__filenames = None, []
    return p


def _site():
    """What site does at start-up, for python3 -S. The server starts Python
    with -S because site's own imports and its .pth files (each may import
    modules of its own) cost about as much as the rest of a hello world;
    the program still finds the same site-packages, namespace packages,
    exit() and help(), and sitecustomize (runblock's figure backend). Other
    .pth files are not read (the sandbox hides them anyway)."""
    if not sys.flags.no_site:
        return
    if not SITE:
        # The server could not ask this interpreter for them: all of site.
        import site
        site.main()
        return
    import builtins
    import posix
    import _sitebuiltins
    for d in SITE["dirs"]:
        try:
            # site adds only directories that exist
            is_dir = posix.stat(d).st_mode & 0o170000 == 0o040000
        except OSError:
            is_dir = False
        if is_dir and d not in sys.path:
            sys.path.append(d)
    # As an nspkg.pth does (a package's module made, its __init__ not run),
    # without the importlib.util it imports: else mpl_toolkits' __init__
    # imports pkg_resources, which matplotlib.pyplot pays for.
    spec = sys.modules["_frozen_importlib"].ModuleSpec
    for name in sorted(SITE["namespaces"]):
        m = type(sys)(name)
        m.__path__ = list(SITE["namespaces"][name])
        m.__package__ = name
        m.__spec__ = spec(name, None, is_package=True)
        m.__spec__.submodule_search_locations = m.__path__
        if sys.modules.setdefault(name, m) is m and "." in name:
            parent, _, child = name.rpartition(".")
            if parent in sys.modules:
                setattr(sys.modules[parent], child, m)
    eof = "Ctrl-D (i.e. EOF)"
    builtins.quit = _sitebuiltins.Quitter("quit", eof)
    builtins.exit = _sitebuiltins.Quitter("exit", eof)
    builtins.copyright = _printer(_sitebuiltins, "copyright", sys.copyright)
    builtins.credits = _printer(_sitebuiltins, "credits", "Thanks to CWI, CNRI, BeOpen.com, Zope Corporation and a cast of thousands\n    for supporting Python development.  See www.python.org for more information.")
    builtins.license = _printer(_sitebuiltins, "license", "See https://www.python.org/psf/license/")
    builtins.help = _sitebuiltins._Helper()
    try:
        import sitecustomize  # noqa: F401
    except Exception as e:
        if not (isinstance(e, ImportError) and e.name == "sitecustomize"):
            sys.stderr.write("Error in sitecustomize; set PYTHONVERBOSE for traceback:\n%s: %s\n" % (type(e).__name__, e))


def _main_namer():
    """An audit hook that gives main.py's code its file name, or None.

    compile() costs a hello world about 1.5 ms more than python3 main.py:
    its first call builds the ast module's ~120 classes (to ask whether
    the source is an AST). exec() of the source's bytes compiles without
    asking, but names the code "<string>", and tracebacks, warnings and
    inspect then lack the file and its lines. Between its compiling and
    its running, exec() raises the "exec" audit event with the new code
    object; this hook renames it (and the code nested in it) there, as
    importlib does for a moved .pyc, once: main.py's path is appended to
    the list returned just before the exec() and taken by the first
    "exec" event after it of a module's code named "<string>". Parsing can
    run other code in between: a coding declaration imports its codec,
    whose module code raises "exec" too (with its own file name). Were
    some other "<string>" code renamed, its frames would count as the
    learner's: refusals, never allowances."""
    import _imp
    fix = getattr(_imp, "_fix_co_filename", None)
    if fix is None:
        return None
    pending = []

    def hook(event, args, _pending=pending, _fix=fix, _code=type(_main_namer.__code__), _type=type):
        if _pending and event == "exec" and _type(args[0]) is _code and \
                args[0].co_filename == "<string>" and args[0].co_name == "<module>":
            _fix(args[0], _pending.pop())

    sys.addaudithook(hook)
    return pending


def _main():
    import builtins
    import posix

    _site()
    if len(sys.argv) < 2:
        posix.write(2, b"usage: runblock_guard.py [--runblock-warm=MODS] main.py [args...]\n")
        posix._exit(2)
    # First: the policy's hook refuses every later sys.addaudithook.
    naming = _main_namer()
    policy = POLICY
    if policy is not None:
        sys.addaudithook(_make_hook(policy))
        builtins.__import__ = _make_import(policy, _refuser(policy))
    if sys.argv[1].startswith("--runblock-warm="):
        global WARM
        WARM = True
        # A warm sandbox, set up before its run exists: import the
        # libraries the program uses (behind the hook like the program's
        # own imports), write one NUL byte to stderr (ready; the server
        # drops it), then block on one byte of stdin, which the server
        # writes once the run is admitted and main.py is in place; the
        # program's own input follows on the same pipe.
        for mod in sys.argv.pop(1)[len("--runblock-warm="):].split(","):
            if mod:
                try:
                    __import__(mod)
                except Exception:
                    pass  # the program's own import reports it
        posix.write(2, b"\0")  # ready (the server drops this byte)
        if posix.read(0, 1) == b"" or len(sys.argv) < 2:
            posix._exit(0)

    script = sys.argv[1]
    path = script if script.startswith("/") else posix.getcwd() + "/" + script
    with open(path, "rb") as f:
        source = f.read()
    if naming is None:
        try:
            source = compile(source, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as e:
            # python3 main.py reports these without a traceback (the
            # program never started): with the guard's frames left out, so
            # does this.
            _print_exception(e)
            return 1
    main = type(sys)("__main__")
    loader = sys.modules["_frozen_importlib_external"].SourceFileLoader("__main__", path)
    main.__dict__.update(__file__=path, __cached__=None, __loader__=loader,
                         __builtins__=builtins, __annotations__={})
    sys.modules["__main__"] = main
    del sys.argv[0]
    try:
        if naming is not None:
            naming.append(path)
        exec(source, main.__dict__)
    except SystemExit:
        raise
    except BaseException as e:
        if naming:
            # Still armed: the source never compiled, so the program never
            # started. python3 main.py reports that without a traceback.
            naming.clear()
            if isinstance(e, SyntaxError):
                e.filename = path
        _print_exception(e)
        return 1
    return 0


def _fast_exit(status):
    """End as python3 would, minus freeing every object (tens of ms with
    numpy loaded; the sandbox is destroyed anyway): non-daemon threads are
    joined, atexit handlers run and stdio is flushed. Objects' __del__ at
    shutdown does not run."""
    import posix
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()
    import atexit
    atexit._run_exitfuncs()
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            status = status or 120  # as python3 does when flushing fails
    posix._exit(status)


if __name__ == "__main__":
    status = _main()
    if WARM:
        _fast_exit(status)
    if status:
        raise SystemExit(status)
