from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class Book:
    title: str
    author: str
    borrower: Optional[str] = None


@dataclass
class Library:
    books: List[Book] = field(default_factory=list)

    def lend(self, title, who):
        for b in self.books:
            if b.title == title and b.borrower is None:
                b.borrower = who
                return True
        return False

    def available(self):
        return [b.title for b in self.books if b.borrower is None]


lib = Library([Book("Dune", "Herbert"), Book("Emma", "Austen")])
print(lib.lend("Dune", "ana"), lib.lend("Dune", "ben"))
print(lib.available())
