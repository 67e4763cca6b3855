from itertools import groupby

words = sorted(["apple", "avocado", "banana", "blueberry", "cherry"])
for letter, group in groupby(words, key=lambda w: w[0]):
    print(letter, list(group))

data = "aaabbcdddd"
print([(k, len(list(g))) for k, g in groupby(data)])
