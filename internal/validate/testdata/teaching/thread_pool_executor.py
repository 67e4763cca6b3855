from concurrent.futures import ThreadPoolExecutor, as_completed


def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True


numbers = [97, 100, 7919, 12, 104729]
with ThreadPoolExecutor(max_workers=3) as pool:
    futures = {pool.submit(is_prime, n): n for n in numbers}
    answers = {futures[f]: f.result() for f in as_completed(futures)}
for n in numbers:
    print(n, answers[n])
