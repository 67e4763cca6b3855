data = bytes(range(10))
with open("/tmp/data.bin", "wb") as f:
    f.write(data)

with open("/tmp/data.bin", "rb") as f:
    head = f.read(4)
    f.seek(-2, 2)
    tail = f.read()
print(list(head), list(tail))
