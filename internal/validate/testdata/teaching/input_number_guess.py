import random

random.seed(7)
secret = random.randint(1, 20)
tries = 0
while True:
    guess = int(input("guess: "))
    tries += 1
    if guess < secret:
        print("higher")
    elif guess > secret:
        print("lower")
    else:
        print(f"correct in {tries} tries")
        break
    if tries == 10:
        print("out of tries, it was", secret)
        break
