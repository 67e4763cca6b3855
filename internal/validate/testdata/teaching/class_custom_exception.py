class InsufficientStock(Exception):
    def __init__(self, item, wanted, available):
        super().__init__(f"wanted {wanted} {item}, only {available} left")
        self.item = item


stock = {"pens": 3}

def order(item, n):
    if stock.get(item, 0) < n:
        raise InsufficientStock(item, n, stock.get(item, 0))
    stock[item] -= n


try:
    order("pens", 2)
    order("pens", 2)
except InsufficientStock as e:
    print("order failed:", e)
finally:
    print("stock now", stock)
