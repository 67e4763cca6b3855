path = "/tmp/shopping.txt"
items = ["milk", "eggs", "bread"]

with open(path, "w") as f:
    for item in items:
        f.write(item + "\n")

with open(path) as f:
    for number, line in enumerate(f, start=1):
        print(number, line.strip())
