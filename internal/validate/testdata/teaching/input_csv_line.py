header = input().split(",")
records = []
for _ in range(3):
    records.append(dict(zip(header, input().split(","))))
oldest = max(records, key=lambda r: int(r["age"]))
print(oldest["name"], "is the oldest")
