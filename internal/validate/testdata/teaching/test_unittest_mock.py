import unittest
from unittest import mock


class Weather:
    def fetch(self, city):
        raise RuntimeError("no network in class")

    def summary(self, city):
        t = self.fetch(city)
        return "warm" if t > 20 else "cold"


class WeatherTest(unittest.TestCase):
    def test_warm(self):
        w = Weather()
        with mock.patch.object(w, "fetch", return_value=25):
            self.assertEqual(w.summary("Rome"), "warm")

    def test_cold(self):
        w = Weather()
        w.fetch = mock.Mock(return_value=3)
        self.assertEqual(w.summary("Oslo"), "cold")
        w.fetch.assert_called_once_with("Oslo")


unittest.main(exit=False)
