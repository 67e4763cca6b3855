def reverse_words(sentence):
    return " ".join(reversed(sentence.split()))


print(reverse_words("the quick brown fox"))
print(reverse_words("hello"))
