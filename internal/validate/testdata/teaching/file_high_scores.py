SCORES = "/tmp/highscores.txt"

def save(scores):
    with open(SCORES, "w") as f:
        for name, pts in scores:
            f.write(f"{name},{pts}\n")

def load():
    result = []
    with open(SCORES) as f:
        for line in f:
            name, pts = line.strip().split(",")
            result.append((name, int(pts)))
    return result


save([("ana", 300), ("ben", 450), ("cy", 120)])
for name, pts in sorted(load(), key=lambda x: -x[1])[:2]:
    print(name, pts)
