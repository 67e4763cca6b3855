import random
from collections import Counter

random.seed(2024)
rolls = [random.randint(1, 6) + random.randint(1, 6) for _ in range(1000)]
counts = Counter(rolls)
for total in range(2, 13):
    print(f"{total:2} {'#' * (counts[total] // 10)}")
deck = [r + s for r in "A23456789TJQK" for s in "SHDC"]
random.shuffle(deck)
print(random.sample(deck, 5))
