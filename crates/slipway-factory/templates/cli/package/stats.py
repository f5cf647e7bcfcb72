"""Counting lines, words and characters of text."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Stats:
    """What a text holds."""

    lines: int = 0
    words: int = 0
    chars: int = 0

    def __add__(self, other: "Stats") -> "Stats":
        return Stats(self.lines + other.lines, self.words + other.words, self.chars + other.chars)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def count(text: str) -> Stats:
    """The lines, words and characters of `text` (a last line without a newline counts too)."""
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    return Stats(lines=lines, words=len(text.split()), chars=len(text))
