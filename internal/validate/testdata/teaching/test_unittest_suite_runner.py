import unittest


def word_count(text):
    counts = {}
    for w in text.lower().split():
        w = w.strip(".,!?")
        counts[w] = counts.get(w, 0) + 1
    return counts


class WordCountTest(unittest.TestCase):
    def test_one(self):
        self.assertEqual(word_count("word"), {"word": 1})

    def test_punctuation(self):
        self.assertEqual(word_count("Hi, hi!"), {"hi": 2})

    def test_empty(self):
        self.assertEqual(word_count(""), {})


suite = unittest.TestLoader().loadTestsFromTestCase(WordCountTest)
result = unittest.TextTestRunner(verbosity=2).run(suite)
print("all passed:", result.wasSuccessful())
