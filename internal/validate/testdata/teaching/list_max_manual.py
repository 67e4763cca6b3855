def largest(values):
    best = values[0]
    for v in values[1:]:
        if v > best:
            best = v
    return best


print(largest([3, 41, 12, 9, 74, 15]))
print(largest([-5, -2, -9]))
