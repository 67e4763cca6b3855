numbers = [12, 7, 3, 18, 25, 9]
total = sum(numbers)
average = total / len(numbers)
print("total:", total)
print("average:", round(average, 2))
print("above average:", [n for n in numbers if n > average])
