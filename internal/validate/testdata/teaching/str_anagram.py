def are_anagrams(a, b):
    return sorted(a.replace(" ", "").lower()) == sorted(b.replace(" ", "").lower())


pairs = [("listen", "silent"), ("Dormitory", "dirty room"), ("apple", "paple"), ("cat", "car")]
for a, b in pairs:
    print(a, b, are_anagrams(a, b))
