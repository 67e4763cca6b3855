inventory = {"apples": 5, "pears": 2}

def add(item, n=1):
    inventory[item] = inventory.get(item, 0) + n

def remove(item, n=1):
    if inventory.get(item, 0) < n:
        print("not enough", item)
        return
    inventory[item] -= n
    if inventory[item] == 0:
        del inventory[item]

add("plums", 3)
remove("pears", 2)
remove("apples", 9)
print(inventory)
