rows, cols = map(int, input().split())
grid = [input() for _ in range(rows)]
stars = sum(row.count("*") for row in grid)
print(f"{rows}x{cols} grid with {stars} stars")
for row in grid[::-1]:
    print(row)
