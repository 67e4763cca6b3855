import threading

items = []
cond = threading.Condition()

def consume(out):
    with cond:
        cond.wait_for(lambda: len(items) >= 3)
        out.append(list(items))

result = []
t = threading.Thread(target=consume, args=(result,))
t.start()
for i in range(3):
    with cond:
        items.append(i)
        cond.notify_all()
t.join()
print(result)
