import heapq

scores = {"ana": 88, "ben": 95, "cy": 72, "di": 99, "ed": 60}
print(heapq.nlargest(3, scores.items(), key=lambda kv: kv[1]))

heap = []
for task, prio in [("email", 3), ("deploy", 1), ("lunch", 2)]:
    heapq.heappush(heap, (prio, task))
while heap:
    print(heapq.heappop(heap))
