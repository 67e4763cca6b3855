text = "mississippi"
freq = {}
for ch in text:
    freq[ch] = freq.get(ch, 0) + 1

for ch in sorted(freq):
    print(ch, "*" * freq[ch])
