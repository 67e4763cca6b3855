import math
import unittest


def hypotenuse(a, b):
    return math.sqrt(a * a + b * b)


class GeometryTest(unittest.TestCase):
    def test_345(self):
        self.assertAlmostEqual(hypotenuse(3, 4), 5.0)

    def test_unit(self):
        self.assertAlmostEqual(hypotenuse(1, 1), 1.41421, places=4)

    @unittest.skip("not implemented yet")
    def test_3d(self):
        pass


unittest.main(exit=False)
