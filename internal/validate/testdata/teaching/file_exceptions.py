def read_number(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except FileNotFoundError:
        print("no such file:", path)
    except ValueError:
        print("not a number in", path)
    return None


with open("/tmp/n.txt", "w") as f:
    f.write("42\n")
with open("/tmp/bad.txt", "w") as f:
    f.write("forty-two")
print(read_number("/tmp/n.txt"))
print(read_number("/tmp/bad.txt"))
print(read_number("/tmp/missing.txt"))
