class Config:
    def __init__(self, **options):
        for key, value in options.items():
            setattr(self, key, value)

    def __repr__(self):
        items = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{self.__class__.__name__}({items})"


c = Config(debug=True, level=3)
print(c)
print(getattr(c, "level"), hasattr(c, "missing"))
