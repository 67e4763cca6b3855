def ask_int(prompt, lo, hi):
    while True:
        text = input(prompt)
        try:
            value = int(text)
        except ValueError:
            print("please type a whole number")
            continue
        if lo <= value <= hi:
            return value
        print(f"between {lo} and {hi}, please")


guess = ask_int("Pick 1-10: ", 1, 10)
print("you picked", guess)
