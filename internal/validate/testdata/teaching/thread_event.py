import threading
import time

ready = threading.Event()
log = []

def waiter():
    ready.wait()
    log.append("waiter saw the event")

t = threading.Thread(target=waiter)
t.start()
time.sleep(0.01)
log.append("setting event")
ready.set()
t.join()
print(log)
