"""How many letters, digits, capitals, ... each text has: all texts of a page in numpy passes.

Counting a character class with one regular expression per block cost more than the rest of
the shape features together; here the page's texts become one array of code points and every
class is a table lookup. The tables are built from the same regular expressions, so the counts
are exactly what ``len(pattern.findall(text))`` gives.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

UPPER_CLASS = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0391-\u03a9\u0410-\u042f"  # Latin, Greek, Cyrillic
_CLASSES = {name: re.compile(pattern) for name, pattern in {
    "letter": r"[^\W\d_]",
    "punctuation": r"[^\w\s]",
    "digit": r"\d",
    "space": r"\s",
    "upper": f"[{UPPER_CLASS}]",
    "sentence_end": r"[.!?。！？]",
    "numeric": r"[\d\s.,:%/+-]",
    "word": r"\w",
}.items()}
_BMP = 0x10000


@cache
def _tables() -> dict[str, np.ndarray]:
    """For each class, a boolean per code point of the Basic Multilingual Plane."""
    everything = "".join(map(chr, range(_BMP)))
    tables = {}
    for name, member in _CLASSES.items():
        # Each member becomes "\0" ("\0" itself is set apart first and checked on its own).
        marked = member.sub("\0", everything.replace("\0", "\1"))
        table = np.frombuffer(marked.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 0
        table[0] = bool(member.match("\0"))
        tables[name] = table
    return tables


def char_flags(codes: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """For each class named, whether each code point belongs to it."""
    tables = _tables()
    in_bmp = np.minimum(codes, _BMP - 1)
    flags = {name: tables[name][in_bmp] for name in names}
    astral = np.flatnonzero(codes >= _BMP)  # emoji and rarer scripts: few, checked one by one
    for name in names:
        flags[name][astral] = [bool(_CLASSES[name].match(chr(code))) for code in codes[astral]]
    return flags


def code_points(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of all ``texts``, each followed by a NUL, and each text's length."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    joined = "\0".join(texts) + "\0"
    return np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), lengths


def class_counts(texts: list[str]) -> dict[str, np.ndarray]:
    """Per text: chars, letters, punctuation, digits, upper, capitalised (upper-case letters
    that start a word), words (whitespace-separated), sentence_breaks (end mark then a space)
    and numeric (characters of digits, spaces and number punctuation)."""
    codes, lengths = code_points(texts)
    ends = np.cumsum(lengths + 1) - 1
    starts = ends - lengths
    flags = char_flags(codes, ("letter", "punctuation", "digit", "space", "upper",
                               "sentence_end", "numeric"))
    at_start = np.zeros(len(codes), dtype=bool)
    at_start[starts[lengths > 0]] = True
    after_space = np.concatenate([[False], flags["space"][:-1]]) & ~at_start
    word_start = at_start | after_space
    next_is_space = np.concatenate([flags["space"][1:], [False]])
    separator = np.zeros(len(codes), dtype=bool)
    separator[ends] = True
    wanted = {
        "letters": flags["letter"],
        "punctuation": flags["punctuation"] & ~separator,
        "digits": flags["digit"],
        "upper": flags["upper"],
        "capitalised": flags["upper"] & word_start,
        "words": ~flags["space"] & ~separator & word_start,
        "sentence_breaks": flags["sentence_end"] & next_is_space,
        "numeric": flags["numeric"],
    }
    counts = {"chars": lengths}
    for name, hits in wanted.items():
        running = np.concatenate([[0], np.cumsum(hits)])
        counts[name] = running[ends] - running[starts]
    return counts
