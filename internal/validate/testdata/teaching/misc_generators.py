def fibonacci():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b


def take(n, gen):
    for _ in range(n):
        yield next(gen)


print(list(take(10, fibonacci())))
squares = (x * x for x in range(10))
print(sum(squares))
evens = filter(lambda x: x % 2 == 0, range(10))
print(list(map(lambda x: x * 10, evens)))
