names = ["ada", "grace", "alan"]
lengths = {n: len(n) for n in names}
upper = {k.upper(): v for k, v in lengths.items() if v > 3}
print(lengths)
print(upper)
squares = {n: n ** 2 for n in range(6)}
print(squares)
