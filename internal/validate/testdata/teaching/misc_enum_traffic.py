from enum import Enum, auto


class Light(Enum):
    RED = auto()
    GREEN = auto()
    YELLOW = auto()

    def next(self):
        order = list(Light)
        return order[(order.index(self) + 1) % len(order)]


light = Light.RED
for _ in range(4):
    print(light.name, light.value)
    light = light.next()
