def subsets(s):
    if not s:
        return [[]]
    rest = subsets(s[1:])
    return rest + [[s[0]] + r for r in rest]


print(sorted(subsets(["a", "b", "c"]), key=lambda x: (len(x), x)))
