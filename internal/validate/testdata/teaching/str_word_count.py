import re
from collections import Counter

text = """That's the password: 'PASSWORD 123'!", cried the Special Agent.
So I fled."""
words = re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())
for word, n in Counter(words).most_common(5):
    print(word, n)
