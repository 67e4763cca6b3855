data = open(0).read().split()
numbers = [int(x) for x in data]
print("count", len(numbers), "sum", sum(numbers), "max", max(numbers))
