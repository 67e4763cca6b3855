def unique(items):
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


print(unique([1, 2, 2, 3, 1, 4, 3, 5]))
print(unique(list("banana")))
