import numpy as np

rng = np.random.default_rng(42)
heights = rng.normal(170, 10, size=1000)
print(round(heights.mean(), 1), round(heights.std(), 1))
print(np.percentile(heights, [25, 50, 75]).round(1))
print((heights > 190).sum(), "people above 190 cm")
