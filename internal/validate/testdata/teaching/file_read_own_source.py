with open("main.py") as f:
    source = f.read()
lines = source.splitlines()
print("this program has", len(lines), "lines")
print("first line:", lines[0])
