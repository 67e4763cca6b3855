LOG = "/tmp/activity.log"

def log(message):
    with open(LOG, "a", encoding="utf-8") as f:
        f.write(message + "\n")


open(LOG, "w").close()
for step in ["start", "load data", "compute", "done"]:
    log(step)

with open(LOG, encoding="utf-8") as f:
    lines = f.read().splitlines()
print(len(lines), "entries; last:", lines[-1])
