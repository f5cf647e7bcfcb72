# The `{{ project_name }}` command line: {{ description }}

import argparse
import json
import sys
from collections.abc import Sequence

from . import __version__
from .stats import Stats, count

PROG = {{ project_name|tojson }}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description={{ description|tojson }})
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    stats = commands.add_parser("stats", help="count lines, words and characters")
    stats.add_argument("files", nargs="*", help="files to read (standard input when none)")
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")

    greet = commands.add_parser("greet", help="say hello")
    greet.add_argument("name", nargs="?", default="world", help="who to greet")
    greet.add_argument("--shout", action="store_true", help="in capitals")
    return parser


def run_stats(files: Sequence[str], as_json: bool) -> int:
    results: list[tuple[str, Stats]] = []
    if not files:
        results.append(("-", count(sys.stdin.read())))
    for name in files:
        try:
            with open(name, encoding="utf-8", errors="replace") as f:
                results.append((name, count(f.read())))
        except OSError as e:
            print(f"{PROG}: {name}: {e.strerror}", file=sys.stderr)
            return 1
    total = sum((s for _, s in results), Stats())
    if as_json:
        report = {"files": {name: s.as_dict() for name, s in results}, "total": total.as_dict()}
        print(json.dumps(report, indent=2))
    else:
        for name, s in results:
            print(f"{s.lines:8} {s.words:8} {s.chars:8} {name}")
        if len(results) > 1:
            print(f"{total.lines:8} {total.words:8} {total.chars:8} total")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "stats":
        return run_stats(args.files, args.json)
    greeting = f"Hello, {args.name}!"
    print(greeting.upper() if args.shout else greeting)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
