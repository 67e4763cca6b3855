import sys

sys.setrecursionlimit(5000)


def count_down(n):
    return 0 if n == 0 else 1 + count_down(n - 1)


print(count_down(3000))
