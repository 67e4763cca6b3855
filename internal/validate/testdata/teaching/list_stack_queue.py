from collections import deque

stack = []
for x in [1, 2, 3]:
    stack.append(x)
print("pop:", stack.pop(), stack)

queue = deque()
for name in ["ana", "ben", "cy"]:
    queue.append(name)
print("next:", queue.popleft(), list(queue))
