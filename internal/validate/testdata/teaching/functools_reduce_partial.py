from functools import partial, reduce

product = reduce(lambda a, b: a * b, range(1, 6))
print(product)

def power(base, exponent):
    return base ** exponent

square = partial(power, exponent=2)
cube = partial(power, exponent=3)
print(square(7), cube(3))
