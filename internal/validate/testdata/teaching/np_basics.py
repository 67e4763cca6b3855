import numpy as np

a = np.array([1, 2, 3, 4, 5])
print(a * 2, a.sum(), a.mean())
m = np.arange(12).reshape(3, 4)
print(m)
print(m.T.shape, m[:, 1], m[m % 2 == 0])
