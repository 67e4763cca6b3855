import threading

results = {}

def worker(n):
    results[n] = sum(range(n * 1000))

threads = [threading.Thread(target=worker, args=(i,)) for i in range(1, 5)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(results.items()))
