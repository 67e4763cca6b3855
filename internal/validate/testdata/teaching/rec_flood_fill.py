grid = [
    list("....#"),
    list(".##.#"),
    list(".#..."),
    list("###.."),
]


def fill(r, c):
    if r < 0 or c < 0 or r >= len(grid) or c >= len(grid[0]) or grid[r][c] != ".":
        return 0
    grid[r][c] = "~"
    return 1 + fill(r + 1, c) + fill(r - 1, c) + fill(r, c + 1) + fill(r, c - 1)


print(fill(0, 0), "cells filled")
for row in grid:
    print("".join(row))
