import threading


class Downloader(threading.Thread):
    def __init__(self, name, size):
        super().__init__(name=name)
        self.size = size
        self.done = 0

    def run(self):
        for _ in range(self.size):
            self.done += 1


workers = [Downloader(f"file{i}", i * 10) for i in range(1, 4)]
for w in workers:
    w.start()
for w in workers:
    w.join()
    print(w.name, w.done)
