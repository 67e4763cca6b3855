text = """It was the best of times,
it was the worst of times,
it was the age of wisdom."""

with open("/tmp/dickens.txt", "w") as out:
    out.write(text)

lines = words = chars = 0
with open("/tmp/dickens.txt") as f:
    for line in f:
        lines += 1
        words += len(line.split())
        chars += len(line)
print(f"lines={lines} words={words} chars={chars}")
