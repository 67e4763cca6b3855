balance = 0
while True:
    choice = input("[d]eposit, [w]ithdraw, [q]uit: ").strip().lower()
    if choice == "q":
        break
    amount = float(input("amount: "))
    if choice == "d":
        balance += amount
    elif choice == "w":
        if amount > balance:
            print("not enough money")
            continue
        balance -= amount
    else:
        print("unknown option")
print(f"\nfinal balance: {balance:.2f}")
