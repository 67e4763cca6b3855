SCORES = {}
for letters, points in [("aeioulnrst", 1), ("dg", 2), ("bcmp", 3), ("fhvwy", 4), ("k", 5), ("jx", 8), ("qz", 10)]:
    for letter in letters:
        SCORES[letter] = points


def score(word):
    return sum(SCORES[c] for c in word.lower())


for w in ["cabbage", "quiz", "street"]:
    print(w, score(w))
