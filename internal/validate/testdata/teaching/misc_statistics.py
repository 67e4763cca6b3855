import statistics

temps = [22.1, 24.3, 19.8, 25.0, 23.7, 21.4, 24.3]
print("mean", round(statistics.mean(temps), 2))
print("median", statistics.median(temps))
print("mode", statistics.mode(temps))
print("stdev", round(statistics.stdev(temps), 3))
