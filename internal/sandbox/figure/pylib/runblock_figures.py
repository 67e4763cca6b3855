"""runblock's figure channel, on the program's side.

Figures leave the sandbox as binary frames on a descriptor the server opened
for this purpose only (RUNBLOCK_FIGURE_FD), never on stdout or stderr: a
program that prints something that looks like an image produces text.

Each frame says how many bytes the program had written to stdout before the
figure, so the server can put the image exactly between the text around it
although it reads the two pipes concurrently. That count is kept by a stdout
that counts what it writes, installed before the learner's code starts.

Frame: b"RBFIG1\\n\\0", then big-endian u64 stdout bytes, u32 alt length,
u32 PNG length, the alt text (UTF-8), the PNG.
"""
# posix, not os, and struct only once a figure is sent: a run that shows
# none should not pay for them at start-up (see sitecustomize).
import io
import posix
import sys

MAGIC = b"RBFIG1\n\0"
MAX_FIGURES = 10          # per run; the server enforces its own bound too
MAX_PIXELS = (1600, 1200)  # a larger figure is rendered at a lower DPI
MAX_PNG = 1 << 20
DPI = 100

_fd = -1
_sent = 0
_written = [0]  # stdout bytes; a list so the writer's method can add in place


class _CountingStdout(io.FileIO):
    def write(self, b, _w=_written, _write=io.FileIO.write):
        n = _write(self, b)
        if n:
            _w[0] += n
        return n


def install():
    global _fd
    try:
        _fd = int(posix.environ.pop(b"RUNBLOCK_FIGURE_FD"))
    except (KeyError, ValueError):
        return
    # What os.environ.pop does: programs it starts don't inherit the name.
    posix.unsetenv(b"RUNBLOCK_FIGURE_FD")
    old = sys.stdout
    if old is None or getattr(old, "fileno", None) is None:
        return
    raw = _CountingStdout(old.fileno(), "wb", closefd=False)
    buf = raw
    if not isinstance(old.buffer, io.FileIO):
        buf = io.BufferedWriter(raw)
    new = io.TextIOWrapper(buf, encoding=old.encoding, errors=old.errors,
                           line_buffering=old.line_buffering,
                           write_through=getattr(old, "write_through", False))
    old.flush()
    sys.stdout = sys.__stdout__ = new


def _alt(fig, number):
    parts = []
    st = getattr(fig, "_suptitle", None)
    if st is not None and st.get_text():
        parts.append(st.get_text())
    for ax in fig.get_axes():
        t = ax.get_title() or ax.get_title("left") or ax.get_title("right")
        if t:
            parts.append(t)
        elif not parts:
            x, y = ax.get_xlabel(), ax.get_ylabel()
            if x or y:
                parts.append(" vs ".join(s for s in (y, x) if s))
    text = "Figure %d" % number
    if parts:
        text += ": " + "; ".join(dict.fromkeys(parts))
    return text[:300]


def _render(fig):
    w, h = fig.get_size_inches()
    dpi = DPI
    scale = min(1.0, MAX_PIXELS[0] / max(w * dpi, 1), MAX_PIXELS[1] / max(h * dpi, 1))
    dpi = max(10, int(dpi * scale))
    for _ in range(3):
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=dpi)
        png = out.getvalue()
        if len(png) <= MAX_PNG:
            return png
        dpi = max(10, dpi // 2)
    return None


def send_figure(fig):
    """Render fig and send it; returns whether it was sent."""
    global _sent
    if _fd < 0:
        return False
    if _sent >= MAX_FIGURES:
        _sent += 1
        if _sent == MAX_FIGURES + 1:
            sys.stderr.write("[runblock] only %d figures are shown per run; the rest are dropped\n" % MAX_FIGURES)
        return False
    png = _render(fig)
    if png is None:
        sys.stderr.write("[runblock] a figure was too large to show (over %d bytes as PNG)\n" % MAX_PNG)
        return False
    _sent += 1
    alt = _alt(fig, _sent).encode("utf-8", "replace")
    try:
        sys.stdout.flush()
    except Exception:
        pass
    import struct
    frame = MAGIC + struct.pack(">QII", _written[0], len(alt), len(png)) + alt + png
    view = memoryview(frame)
    try:
        while view:
            view = view[posix.write(_fd, view):]
    except OSError:
        return False
    return True
