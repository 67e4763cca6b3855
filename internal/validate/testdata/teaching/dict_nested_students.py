students = {
    "ana": {"math": 90, "art": 72},
    "ben": {"math": 65, "art": 88},
    "cai": {"math": 78, "art": 95},
}
for name, marks in students.items():
    avg = sum(marks.values()) / len(marks)
    print(f"{name}: {avg:.1f}")
best = max(students, key=lambda n: students[n]["math"])
print("best at math:", best)
