from operator import attrgetter, itemgetter

people = [("ana", 31), ("ben", 25), ("cy", 31), ("di", 19)]
print(sorted(people, key=itemgetter(1, 0)))


class P:
    def __init__(self, name, age):
        self.name, self.age = name, age

    def __repr__(self):
        return self.name


objs = [P(n, a) for n, a in people]
print(sorted(objs, key=attrgetter("age")))
