def acronym(phrase):
    words = phrase.replace("-", " ").split()
    return "".join(word[0].upper() for word in words)


print(acronym("Portable Network Graphics"))
print(acronym("Complementary metal-oxide semiconductor"))
