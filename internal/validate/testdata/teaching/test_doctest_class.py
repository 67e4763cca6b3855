class Counter:
    """A simple counter.

    >>> c = Counter()
    >>> c.increment()
    >>> c.increment(5)
    >>> c.value
    6
    """

    def __init__(self):
        self.value = 0

    def increment(self, by=1):
        self.value += by


import doctest
results = doctest.testmod(verbose=False)
print(f"{results.attempted} examples, {results.failed} failed")
