import csv

rows = [["name", "score"], ["ana", "91"], ["ben", "78"], ["cy", "85"]]
with open("/tmp/grades.csv", "w", newline="") as f:
    csv.writer(f).writerows(rows)

with open("/tmp/grades.csv", newline="") as f:
    reader = csv.DictReader(f)
    scores = {r["name"]: int(r["score"]) for r in reader}
print(scores)
print("class average:", sum(scores.values()) / len(scores))
