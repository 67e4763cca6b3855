import random


def quicksort(a):
    if len(a) <= 1:
        return a
    pivot = random.choice(a)
    return (quicksort([x for x in a if x < pivot])
            + [x for x in a if x == pivot]
            + quicksort([x for x in a if x > pivot]))


random.seed(3)
data = [random.randint(0, 99) for _ in range(15)]
print(quicksort(data) == sorted(data), quicksort(data)[:5])
