lines = []
while True:
    try:
        line = input()
    except EOFError:
        break
    if not line:
        break
    lines.append(line)
print(len(lines), "lines;", "longest:", max(lines, key=len))
