def slugify(title):
    return "-".join(w.lower() for w in title.split() if w.isalnum())


def test_simple():
    assert slugify("Hello World") == "hello-world"


def test_drops_symbols():
    assert slugify("C & Python") == "c-python"


for name, fn in [("test_simple", test_simple), ("test_drops_symbols", test_drops_symbols)]:
    try:
        fn()
        print("PASS", name)
    except AssertionError:
        print("FAIL", name)
