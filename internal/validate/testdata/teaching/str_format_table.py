rows = [("Apples", 3, 0.5), ("Bread", 1, 2.25), ("Milk", 2, 1.1)]
print(f"{'Item':<10}{'Qty':>5}{'Price':>8}")
total = 0
for name, qty, price in rows:
    total += qty * price
    print(f"{name:<10}{qty:>5}{price:>8.2f}")
print(f"{'Total':<10}{'':>5}{total:>8.2f}")
