a, b = map(int, input().split())
values = list(map(float, input().split()))
print(a + b, a * b)
print(max(values), min(values), sum(values) / len(values))
