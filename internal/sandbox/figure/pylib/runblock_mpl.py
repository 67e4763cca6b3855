"""runblock's matplotlib backend (MPLBACKEND=module://runblock_mpl).

Agg renders; plt.show() sends every open figure as a PNG over the figure
channel and closes it, as a notebook's inline backend does, so a figure is
shown once. Figures still open when the program ends are sent too.
"""
import atexit

from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import FigureManagerBase, _Backend
from matplotlib.backends.backend_agg import FigureCanvasAgg

import runblock_figures


def _send_open_figures():
    managers = Gcf.get_all_fig_managers()
    for m in managers:
        runblock_figures.send_figure(m.canvas.figure)
    if managers:
        Gcf.destroy_all()


class FigureManagerRunblock(FigureManagerBase):
    def show(self):
        runblock_figures.send_figure(self.canvas.figure)
        Gcf.destroy(self)


@_Backend.export
class _BackendRunblock(_Backend):
    FigureCanvas = FigureCanvasAgg
    FigureManager = FigureManagerRunblock

    @classmethod
    def show(cls, *args, **kwargs):
        _send_open_figures()


# Registered after matplotlib's own exit handler, so it runs before it
# (atexit is last in, first out) while the figures still exist.
atexit.register(_send_open_figures)
