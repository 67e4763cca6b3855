from dataclasses import dataclass, field


@dataclass(order=True)
class Item:
    price: float
    name: str = field(compare=False)
    tags: list = field(default_factory=list, compare=False)


items = [Item(3.5, "tea"), Item(1.2, "bread", ["bakery"]), Item(9.9, "cheese")]
for it in sorted(items):
    print(it.name, it.price, it.tags)
