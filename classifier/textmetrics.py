"""Word-level overlap between an extraction and its reference text, as extraction benchmarks
score it."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"\w+")


def words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.lower()))


def word_prf(predicted: str, reference: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the bag of words of ``predicted`` against ``reference``."""
    got, want = words(predicted), words(reference)
    overlap = sum((got & want).values())
    if not got or not want:
        return (float(not got and not want),) * 3
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1
