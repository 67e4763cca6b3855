import unittest


class Stack:
    def __init__(self):
        self.items = []

    def push(self, x):
        self.items.append(x)

    def pop(self):
        return self.items.pop()


class StackTest(unittest.TestCase):
    def setUp(self):
        self.s = Stack()

    def test_push_pop(self):
        self.s.push(1)
        self.s.push(2)
        self.assertEqual(self.s.pop(), 2)

    def test_pop_empty(self):
        with self.assertRaises(IndexError):
            self.s.pop()


unittest.main(argv=["tests"], exit=False, verbosity=2)
