import unittest


class Database:
    def __init__(self):
        self.rows = {}

    def insert(self, key, value):
        if key in self.rows:
            raise KeyError(key)
        self.rows[key] = value


class DatabaseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = Database()
        cls.db.insert("a", 1)

    def test_lookup(self):
        self.assertEqual(self.db.rows["a"], 1)

    def test_duplicate(self):
        with self.assertRaisesRegex(KeyError, "a"):
            self.db.insert("a", 2)

    def test_truthy(self):
        self.assertTrue(self.db.rows)
        self.assertIn("a", self.db.rows)
        self.assertIsNone(self.db.rows.get("b"))


unittest.main(exit=False)
