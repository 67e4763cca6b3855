def flatten(nested):
    flat = []
    for item in nested:
        if isinstance(item, list):
            flat.extend(flatten(item))
        elif item is not None:
            flat.append(item)
    return flat


print(flatten([1, [2, 3, None, [4, [5]]], 6]))
