import operator

def rpn(tokens):
    ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.floordiv}
    stack = []
    for tok in tokens.split():
        if tok in ops:
            b, a = stack.pop(), stack.pop()
            stack.append(ops[tok](a, b))
        else:
            stack.append(int(tok))
    return stack[0]


print(rpn("3 4 + 2 *"))
print(rpn("5 1 2 + 4 * + 3 -"))
