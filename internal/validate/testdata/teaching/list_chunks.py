def chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


print(chunks(list(range(10)), 3))
print(chunks("abcdefg", 2))
