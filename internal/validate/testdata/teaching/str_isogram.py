def is_isogram(word):
    letters = [c.lower() for c in word if c.isalpha()]
    return len(letters) == len(set(letters))


for w in ["lumberjacks", "background", "isograms", "six-year-old"]:
    print(w, is_isogram(w))
