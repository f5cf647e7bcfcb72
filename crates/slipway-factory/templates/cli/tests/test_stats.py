import unittest

from {{ package_name }}.stats import Stats, count


class CountTest(unittest.TestCase):
    def test_counts_lines_words_and_chars(self):
        self.assertEqual(count("one two\nthree\n"), Stats(lines=2, words=3, chars=14))

    def test_a_last_line_without_newline_counts(self):
        self.assertEqual(count("a b").lines, 1)

    def test_empty_text(self):
        self.assertEqual(count(""), Stats())

    def test_stats_add_up(self):
        self.assertEqual(Stats(1, 2, 3) + Stats(4, 5, 6), Stats(5, 7, 9))


if __name__ == "__main__":
    unittest.main()
