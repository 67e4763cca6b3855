with open("/tmp/in.txt", "w") as f:
    f.write("hello there\ngeneral kenobi\n")

with open("/tmp/in.txt") as src, open("/tmp/out.txt", "w") as dst:
    for line in src:
        dst.write(line.upper())

print(open("/tmp/out.txt").read(), end="")
