VOWELS = "aeiou"

def count_vowels(word):
    total = 0
    for letter in word.lower():
        if letter in VOWELS:
            total += 1
    return total


words = ["Banana", "sky", "Education"]
for w in words:
    print(f"{w}: {count_vowels(w)} vowels")
