import operator

OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "^": operator.pow}


def calculate(expression):
    left, op, right = expression.split()
    return OPS[op](float(left), float(right))


for e in ["3 + 4", "10 / 4", "2 ^ 10", "7 - 9"]:
    print(e, "=", calculate(e))
