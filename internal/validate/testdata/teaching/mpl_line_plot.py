import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

xs = list(range(10))
ys = [x * x for x in xs]
fig, ax = plt.subplots()
ax.plot(xs, ys, marker="o", label="x squared")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend()
fig.savefig("/tmp/squares.png")
print("saved plot with", len(ax.lines), "line")
