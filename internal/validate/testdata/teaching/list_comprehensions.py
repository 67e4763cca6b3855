squares = [n * n for n in range(1, 11)]
evens = [n for n in squares if n % 2 == 0]
pairs = [(x, y) for x in range(3) for y in range(3) if x != y]
matrix = [[i * j for j in range(1, 4)] for i in range(1, 4)]
print(squares)
print(evens)
print(pairs)
for row in matrix:
    print(row)
