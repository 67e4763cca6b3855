from itertools import accumulate, chain, count, islice, cycle

print(list(accumulate([1, 2, 3, 4, 5])))
print(list(chain([1, 2], "ab", (3,))))
print(list(islice(count(10, 5), 4)))
print(list(islice(cycle("RGB"), 7)))
