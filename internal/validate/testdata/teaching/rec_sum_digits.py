def digit_sum(n):
    return n if n < 10 else n % 10 + digit_sum(n // 10)


def digital_root(n):
    while n >= 10:
        n = digit_sum(n)
    return n


print(digit_sum(98765), digital_root(98765))
