def pig_latin(word):
    vowels = "aeiou"
    if word[0] in vowels:
        return word + "way"
    for i, ch in enumerate(word):
        if ch in vowels:
            return word[i:] + word[:i] + "ay"
    return word + "ay"


print(" ".join(pig_latin(w) for w in "the quick brown fox jumps".split()))
