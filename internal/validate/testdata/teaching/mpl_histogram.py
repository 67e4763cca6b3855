import matplotlib.pyplot as plt
import numpy as np

data = np.random.default_rng(1).integers(1, 7, size=(500, 2)).sum(axis=1)
counts, edges, _ = plt.hist(data, bins=range(2, 14))
plt.title("Sum of two dice")
plt.savefig("/tmp/dice.png")
print(counts.astype(int).tolist())
