from math import gcd


class Frac:
    def __init__(self, n, d):
        g = gcd(n, d)
        self.n, self.d = n // g, d // g

    def __add__(self, o):
        return Frac(self.n * o.d + o.n * self.d, self.d * o.d)

    def __lt__(self, o):
        return self.n * o.d < o.n * self.d

    def __str__(self):
        return f"{self.n}/{self.d}"


halves = Frac(1, 2) + Frac(1, 3)
print(halves, Frac(1, 3) < Frac(1, 2), sorted([Frac(3, 4), Frac(1, 8), Frac(1, 2)], key=lambda f: f.n / f.d)[0])
