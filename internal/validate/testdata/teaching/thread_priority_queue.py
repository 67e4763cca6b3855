import queue

tasks = queue.PriorityQueue()
tasks.put((3, "write report"))
tasks.put((1, "fix bug"))
tasks.put((2, "review code"))
while not tasks.empty():
    priority, task = tasks.get()
    print(priority, task)
