import heapq

graph = {
    "A": {"B": 4, "C": 1},
    "B": {"D": 1},
    "C": {"B": 2, "D": 5},
    "D": {},
}


def dijkstra(start):
    dist = {start: 0}
    todo = [(0, start)]
    while todo:
        d, node = heapq.heappop(todo)
        if d > dist.get(node, float("inf")):
            continue
        for nxt, w in graph[node].items():
            nd = d + w
            if nd < dist.get(nxt, float("inf")):
                dist[nxt] = nd
                heapq.heappush(todo, (nd, nxt))
    return dist


print(dijkstra("A"))
