class BankAccount:
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.balance += amount

    def withdraw(self, amount):
        if amount > self.balance:
            raise ValueError("insufficient funds")
        self.balance -= amount

    def __str__(self):
        return f"{self.owner}: {self.balance:.2f}"


acct = BankAccount("Ada", 100)
acct.deposit(50)
try:
    acct.withdraw(500)
except ValueError as e:
    print("error:", e)
acct.withdraw(30)
print(acct)
