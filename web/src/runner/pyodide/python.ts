// Python run once in the worker after Pyodide loads. _rb_run executes a
// program the way `python3 main.py` would on the server: its own fresh
// __main__ module, tracebacks that name main.py and show its lines, the
// exit code of SystemExit; unbuffered stdout and stderr (python3 -u), so a
// prompt or a progress line without a newline shows at once;
// KeyboardInterrupt (Stop, time limit) ends it as cancelled without a
// traceback. time.sleep is replaced by one Stop can interrupt.
export const helperSource = String.raw`
import builtins as _rb_builtins, importlib.util as _rb_util, io as _rb_io, linecache as _rb_linecache
import sys as _rb_sys, time as _rb_time, traceback as _rb_traceback, types as _rb_types
from pyodide.code import find_imports as _rb_find_imports
from _rb_worker import sleep as _rb_js_sleep, image as _rb_js_image


def _rb_sleep(secs, /):
    """Delay execution for a given number of seconds (Stop interrupts it)."""
    if not isinstance(secs, (int, float)):
        raise TypeError(f"'{type(secs).__name__}' object cannot be interpreted as an integer or float")
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    _rb_js_sleep(float(secs))


_rb_sleep.__name__ = _rb_sleep.__qualname__ = "sleep"
_rb_time.sleep = _rb_sleep


def _rb_unbuffered(fd):
    return _rb_io.TextIOWrapper(_rb_io.FileIO(fd, "w", closefd=False), encoding="utf-8",
                                errors="backslashreplace", write_through=True)


_rb_stdout, _rb_stderr = _rb_unbuffered(1), _rb_unbuffered(2)


def _rb_analyze(code):
    try:
        compile(code, "main.py", "exec")
    except (SyntaxError, ValueError):
        return [], True
    names = sorted({n.split(".")[0] for n in _rb_find_imports(code) if n and not n.startswith(".")})
    return names, False


def _rb_importable(name):
    if name in _rb_sys.modules:
        return True
    try:
        return _rb_util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _rb_mpl_setup():
    # Called before a program that imports matplotlib: the Agg backend (a
    # worker has no DOM), and plt.show() posts each open figure as a PNG
    # and closes it, as the server's hook does.
    import matplotlib
    matplotlib.use("agg")
    import matplotlib.pyplot as plt
    if getattr(plt.show, "_rb", False):
        return

    def show(*args, **kwargs):
        _rb_post_figures()

    show._rb = True
    plt.show = show


def _rb_figure_alt(fig, n):
    titles = [fig._suptitle.get_text()] if getattr(fig, "_suptitle", None) else []
    titles += [ax.get_title() for ax in fig.get_axes() if ax.get_title()]
    return f"Figure {n}: " + "; ".join(titles) if titles else f"Figure {n}"


def _rb_post_figures():
    plt = _rb_sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    import base64
    global _rb_figure_count
    for num in plt.get_fignums():
        fig = plt.figure(num)
        buf = _rb_io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        _rb_figure_count += 1
        _rb_sys.stdout.flush()
        _rb_sys.stderr.flush()
        _rb_js_image(base64.b64encode(buf.getvalue()).decode("ascii"), _rb_figure_alt(fig, _rb_figure_count))
    plt.close("all")


_rb_figure_count = 0


def _rb_exit_code(e):
    c = e.code
    if c is None:
        return 0
    if isinstance(c, int):
        return c & 0xFF
    print(c, file=_rb_sys.stderr)
    return 1


def _rb_figures_at_exit():
    # Figures the program left open are shown as if it had called plt.show();
    # a failure here must not turn a finished program into a crash.
    try:
        _rb_post_figures()
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        print(f"[runblock] figures could not be drawn: {e}", file=_rb_sys.stderr)


def _rb_run(code):
    global _rb_figure_count
    _rb_figure_count = 0
    _rb_linecache.cache["main.py"] = (len(code), None, code.splitlines(True), "main.py")
    # Also undoes a previous program's redirection of sys.stdout.
    _rb_sys.stdout, _rb_sys.stderr = _rb_stdout, _rb_stderr
    main = _rb_types.ModuleType("__main__")
    main.__builtins__ = _rb_builtins
    saved = _rb_sys.modules.get("__main__")
    _rb_sys.modules["__main__"] = main
    try:
        try:
            c = compile(code, "main.py", "exec")
        except (SyntaxError, ValueError) as e:
            _rb_traceback.print_exception(type(e), e, None)
            return 1, "error"
        try:
            exec(c, main.__dict__)
            _rb_figures_at_exit()
        except SystemExit as e:
            code = _rb_exit_code(e)
            _rb_figures_at_exit()
            return code, "success" if code == 0 else "error"
        except KeyboardInterrupt:
            return None, "cancelled"
        except BaseException as e:
            # Skip this function's own frame: the learner's traceback starts in main.py.
            _rb_traceback.print_exception(type(e), e, e.__traceback__.tb_next)
            _rb_figures_at_exit()
            return 1, "error"
        return 0, "success"
    finally:
        try:
            _rb_sys.stdout.flush()
            _rb_sys.stderr.flush()
        except BaseException:
            pass
        if saved is not None:
            _rb_sys.modules["__main__"] = saved
        main.__dict__.clear()
`
