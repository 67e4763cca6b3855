import numpy as np

scores = np.array([[90, 85, 70], [60, 75, 80], [95, 92, 98]])
weights = np.array([0.3, 0.3, 0.4])
final = scores @ weights
print(final)
print(np.where(final >= 80, "pass", "retake"))
