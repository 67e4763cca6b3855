import functools
import time


def timed(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = func(*args, **kwargs)
        wrapper.calls += 1
        wrapper.last = time.perf_counter() - start
        return result
    wrapper.calls = 0
    return wrapper


@timed
def slow_sum(n):
    """Add up 0..n-1."""
    return sum(range(n))


print(slow_sum(1000), slow_sum(10), slow_sum.calls, slow_sum.__name__, slow_sum.__doc__)
