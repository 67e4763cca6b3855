from dataclasses import dataclass, replace, asdict


@dataclass(frozen=True)
class Card:
    rank: str
    suit: str


c = Card("Q", "hearts")
print(c, asdict(c))
d = replace(c, suit="spades")
print(d)
try:
    c.rank = "K"
except Exception as e:
    print(type(e).__name__)
print(len({c, Card("Q", "hearts"), d}))
