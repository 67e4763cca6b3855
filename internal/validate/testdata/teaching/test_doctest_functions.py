def average(values):
    """Return the mean of values.

    >>> average([1, 2, 3, 4])
    2.5
    >>> average([10])
    10.0
    """
    return sum(values) / len(values)


def clamp(x, lo, hi):
    """
    >>> clamp(5, 0, 3)
    3
    >>> clamp(-1, 0, 3)
    0
    """
    return max(lo, min(x, hi))


if __name__ == "__main__":
    import doctest
    print(doctest.testmod())
