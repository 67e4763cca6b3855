import unittest


def reverse(s):
    return s[::-1]


class ReverseTest(unittest.TestCase):
    def test_word(self):
        self.assertEqual(reverse("robot"), "tobor")

    def test_empty(self):
        self.assertEqual(reverse(""), "")


if __name__ == "__main__":
    unittest.main()
