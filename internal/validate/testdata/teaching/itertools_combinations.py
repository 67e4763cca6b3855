from itertools import combinations, permutations, product

print(list(combinations("ABCD", 2)))
print(len(list(permutations(range(4)))))
print(list(product([0, 1], repeat=3)))
coins = [1, 2, 5, 10]
ways = [c for r in range(1, 4) for c in combinations(coins, r) if sum(c) == 12]
print(ways)
