from contextlib import contextmanager, suppress


@contextmanager
def tag(name):
    print(f"<{name}>")
    yield
    print(f"</{name}>")


with tag("p"):
    print("hello")

with suppress(KeyError):
    {}["missing"]
print("carried on")
