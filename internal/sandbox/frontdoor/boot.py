"""runblock's warm start for Python programs without a run-time guard.

Started as `python3 -u runblock_boot.py --runblock-warm=MODS main.py` in a
sandbox set up before its run exists: it imports MODS (comma-separated
libraries the program uses, e.g. numpy), writes one NUL byte to stderr (it
is ready; the server drops that byte), then blocks reading one byte of
stdin. The server writes that byte only once the run is admitted and
main.py is in place; the program's own input follows on the same pipe.
Then it runs main.py as python3 would (same sys.argv, sys.path[0],
__main__, __file__, tracebacks without this file's frames). The guard
(runblock_guard.py) does the same after installing its hook.
"""
import sys

BOOT = (lambda: 0).__code__.co_filename
WARM = True  # this script only starts warm sandboxes


def _print_exception(exc):
    import traceback
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
    seen = set()
    todo = [te]
    while todo:
        t = todo.pop()
        if t is None or id(t) in seen:
            continue
        seen.add(id(t))
        t.stack = traceback.StackSummary.from_list([f for f in t.stack if f.filename != BOOT])
        todo.extend((t.__cause__, t.__context__))
        todo.extend(getattr(t, "exceptions", None) or ())
    sys.stderr.write("".join(te.format()))
    sys.stderr.flush()


def _main():
    import builtins
    import posix

    if len(sys.argv) < 3 or not sys.argv[1].startswith("--runblock-warm="):
        posix.write(2, b"usage: runblock_boot.py --runblock-warm=MODS main.py [args...]\n")
        posix._exit(2)
    for mod in sys.argv.pop(1)[len("--runblock-warm="):].split(","):
        if mod:
            try:
                __import__(mod)
            except Exception:
                pass  # the program's own import reports it
    posix.write(2, b"\0")  # ready: the server counts from here
    if posix.read(0, 1) == b"":
        posix._exit(0)  # discarded unused
    script = sys.argv[1]
    path = script if script.startswith("/") else posix.getcwd() + "/" + script
    with open(path, "rb") as f:
        source = f.read()
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as e:
        _print_exception(e)
        return 1
    main = type(sys)("__main__")
    loader = sys.modules["_frozen_importlib_external"].SourceFileLoader("__main__", path)
    main.__dict__.update(__file__=path, __cached__=None, __loader__=loader,
                         __builtins__=builtins, __annotations__={})
    sys.modules["__main__"] = main
    del sys.argv[0]
    try:
        exec(code, main.__dict__)
    except SystemExit:
        raise
    except BaseException as e:
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
