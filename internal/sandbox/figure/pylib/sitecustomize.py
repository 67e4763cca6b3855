"""runblock: started by Python's site module before the learner's code.

Only when the server opened a figure channel for this run (it names it in
RUNBLOCK_FIGURE_FD) does it set up runblock_figures; anything else runs as
plain python3 would. posix, not os: os and what it imports cost a hello
world about a millisecond, and the guard's start does not need them.
"""
import posix as _posix

if _posix.environ.get(b"RUNBLOCK_FIGURE_FD"):
    import runblock_figures as _rf
    _rf.install()
    del _rf
del _posix
