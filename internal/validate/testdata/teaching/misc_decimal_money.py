from decimal import Decimal, ROUND_HALF_UP
from fractions import Fraction

print(0.1 + 0.2, Decimal("0.1") + Decimal("0.2"))
price = Decimal("19.99")
tax = (price * Decimal("0.0825")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
print("tax", tax, "total", price + tax)
print(Fraction(1, 3) + Fraction(1, 6), Fraction("0.75"))
