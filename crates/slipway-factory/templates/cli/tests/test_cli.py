import io
import json
import os
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

from {{ package_name }}.cli import main


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


class CliTest(unittest.TestCase):
    def test_greet(self):
        self.assertEqual(run("greet", "Ada"), (0, "Hello, Ada!\n", ""))
        self.assertEqual(run("greet", "--shout")[1], "HELLO, WORLD!\n")

    def test_stats_of_files_as_json(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "a.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write("one two\nthree\n")
            code, out, _ = run("stats", "--json", path)
        self.assertEqual(code, 0)
        report = json.loads(out)
        self.assertEqual(report["total"], {"lines": 2, "words": 3, "chars": 14})

    def test_a_missing_file_fails(self):
        code, _, err = run("stats", "/nonexistent/file.txt")
        self.assertEqual(code, 1)
        self.assertIn("file.txt", err)

    def test_a_command_is_required(self):
        with self.assertRaises(SystemExit) as exit_:
            run()
        self.assertEqual(exit_.exception.code, 2)


if __name__ == "__main__":
    unittest.main()
