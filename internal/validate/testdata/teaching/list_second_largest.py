def second_largest(nums):
    distinct = sorted(set(nums), reverse=True)
    if len(distinct) < 2:
        return None
    return distinct[1]


print(second_largest([4, 1, 4, 3, 2]))
print(second_largest([7, 7]))
