import difflib
import unicodedata
from collections import namedtuple, OrderedDict
from pprint import pprint

City = namedtuple("City", "name country population")
cities = [City("Lima", "PE", 10.7), City("Oslo", "NO", 0.7)]
pprint([c._asdict() for c in cities])
print(difflib.get_close_matches("appel", ["apple", "ape", "peach", "apply"]))
print(unicodedata.name("é"), unicodedata.normalize("NFD", "é").encode())
od = OrderedDict(b=2, a=1)
od.move_to_end("b")
print(list(od))
