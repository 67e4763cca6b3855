SMALL = {"a", "an", "the", "of", "and", "in"}

def title_case(text):
    words = text.lower().split()
    out = []
    for i, w in enumerate(words):
        if i > 0 and w in SMALL:
            out.append(w)
        else:
            out.append(w.capitalize())
    return " ".join(out)


print(title_case("the lord of the rings"))
print(title_case("A TALE OF TWO CITIES"))
