"""Layout and sequence features of a block: its own shape, where it sits, and what surrounds it.

Word n-grams stop helping on unseen sites; what carries over is the shape of the page: runs of
short lines, distance to the article's core of long sentence-like paragraphs, repeated text,
link density. These features are language-independent by design.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.charcounts import class_counts
from classifier.documents import Block, Document
from classifier.lexicon import cue_counts

_SENTENCE_END = re.compile(r"[.!?…。！？:\"'”’)\]]\s*$")
_DATE = re.compile(r"\b(19|20)\d\d\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_TIME = re.compile(r"\b\d{1,2}:\d\d\b")
_PRICE = re.compile(r"[$€£¥₹]\s?\d|\d\s?(€|\$|USD|EUR)")
_WORD = re.compile(r"\w+")

LONG_WORDS = 20  # a "core" paragraph: this many words and a sentence ending
SHORT_WORDS = 6


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _is_long(text: str, n_words: int) -> bool:
    return n_words >= LONG_WORDS and bool(_SENTENCE_END.search(text))


def _own_features(blocks: list[Block], texts: list[str], words: list[list[str]],
                  n_words: np.ndarray) -> np.ndarray:
    counts = class_counts(texts)
    n_chars = np.maximum(counts["chars"], 1)
    cues = np.array([cue_counts(w) for w in words], dtype=float).reshape(-1, 2)
    share = 1 / np.maximum(n_words, 1)
    word_chars = np.array([sum(map(len, w)) for w in words], dtype=float)
    return np.column_stack([
        np.log1p(cues),
        cues * share[:, None],
        np.log1p(counts["chars"]),
        np.log1p(n_words),
        word_chars / np.maximum(n_words, 1),
        counts["punctuation"] / n_chars,
        counts["digits"] / n_chars,
        counts["upper"] / np.maximum(counts["letters"], 1),
        counts["capitalised"] / np.maximum(counts["words"], 1),
        [bool(_SENTENCE_END.search(text)) for text in texts],
        np.log1p(counts["sentence_breaks"]),
        *_found_in(texts, counts["digits"] > 0, (_DATE, _TIME, _PRICE)),
        (counts["numeric"] == counts["chars"]) & (counts["chars"] > 0),
        ["|" in text or "»" in text or "›" in text for text in texts],
        ["©" in text for text in texts],
        [text.endswith(":") for text in texts],
        [block.link_density for block in blocks],
        np.log1p([block.depth for block in blocks]),
    ]).astype(float)


def _found_in(texts: list[str], has_digits: np.ndarray,
              patterns: tuple[re.Pattern, ...]) -> list[np.ndarray]:
    """For each pattern, which of ``texts`` it matches in. Every pattern needs a digit, so
    only the few texts with digits are searched: joined by NUL (which no pattern can match
    across), one search per pattern, each hit credited to its text."""
    numbered = np.flatnonzero(has_digits)
    joined = "\0".join(texts[i] for i in numbered)
    starts = np.cumsum([0] + [len(texts[i]) + 1 for i in numbered])[:-1]
    found = np.zeros((len(patterns), len(texts)), dtype=bool)
    for row, pattern in enumerate(patterns):
        hits = [match.start() for match in pattern.finditer(joined)]
        found[row, numbered[np.searchsorted(starts, hits, side="right") - 1]] = True
    return list(found)


def _runs(flags: np.ndarray) -> np.ndarray:
    """For each position, the length of the run of equal flags it belongs to."""
    edges = np.concatenate([[0], np.flatnonzero(flags[1:] != flags[:-1]) + 1, [len(flags)]])
    lengths = np.diff(edges)
    return np.repeat(lengths, lengths).astype(float)


def window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``values`` over a window of ``radius`` positions each side, cut at the ends."""
    padded = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(len(values))
    low, high = np.maximum(index - radius, 0), np.minimum(index + radius + 1, len(values))
    return (padded[high] - padded[low]) / (high - low)


def _distance_to(flags: np.ndarray) -> np.ndarray:
    """Blocks to the nearest flagged block (the document length when there is none)."""
    n = len(flags)
    where = np.flatnonzero(flags)
    if not len(where):
        return np.full(n, float(n))
    index = np.arange(n)
    after = np.searchsorted(where, index)
    right = np.where(after < len(where), where[np.minimum(after, len(where) - 1)] - index, n)
    left = np.where(after > 0, index - where[np.maximum(after - 1, 0)], n)
    return np.minimum(left, right).astype(float)


def _title_overlap(words: list[str], title: set[str]) -> float:
    if not words or not title:
        return 0.0
    own = set(words)
    shared = len(own & title)
    return shared / (len(own) + len(title) - shared)


def shifted(values: np.ndarray, offset: int) -> np.ndarray:
    """``values`` moved ``offset`` positions later (earlier when negative), zero-filled: row i
    holds the value of its neighbour i - offset."""
    out = np.zeros_like(values)
    if offset > 0:
        out[offset:] = values[:-offset]
    else:
        out[:offset] = values[-offset:]
    return out


def _document_features(document: Document) -> np.ndarray:
    if "shape" not in document.cache:
        document.cache["shape"] = _compute_document_features(document)
    return document.cache["shape"]


def _compute_document_features(document: Document) -> np.ndarray:
    texts = [block.text if "  " not in block.text else " ".join(block.text.split())
             for block in document.blocks]
    words = [_words(text) for text in texts]
    n_words = np.array([len(w) for w in words], dtype=float)
    own = _own_features(document.blocks, texts, words, n_words)
    n = len(texts)
    index = np.arange(n, dtype=float)
    long = np.array([_is_long(t, len(w)) for t, w in zip(texts, words)])
    short = n_words < SHORT_WORDS
    if long.any():
        first, last = np.flatnonzero(long)[[0, -1]]
        before, after = np.maximum(first - index, 0), np.maximum(index - last, 0)
    else:
        before = after = np.full(n, float(n))
    counts: dict[str, int] = {}
    for text in texts:
        counts[text] = counts.get(text, 0) + 1
    title = set(_words(document.title))
    overlap = np.array([_title_overlap(w, title) for w in words])
    link = own[:, 20]  # link density
    context = np.column_stack([
        index / max(n - 1, 1),
        np.log1p(index),
        np.log1p(n - 1 - index),
        np.full(n, np.log1p(n)),
        np.log1p(before),
        np.log1p(after),
        (before == 0) & (after == 0),
        np.log1p(_distance_to(long)),
        window_mean(long.astype(float), 2),
        window_mean(long.astype(float), 5),
        window_mean(short.astype(float), 3),
        np.log1p(_runs(short) * short),
        np.log1p(np.array([counts[text] - 1 for text in texts])),
        overlap,
        overlap >= 0.6,
        shifted(np.log1p(n_words), 1),
        shifted(np.log1p(n_words), -1),
        shifted(np.log1p(n_words), 2),
        shifted(np.log1p(n_words), -2),
        shifted(link, 1),
        shifted(link, -1),
        window_mean(link, 3),
    ])
    return np.hstack([own, context.astype(float)])


def documents_of(blocks: list[Block]) -> list[tuple[Document, int, int]]:
    """The consecutive runs of blocks that belong to one document: (document, start, stop)."""
    runs = []
    start = 0
    for stop in range(1, len(blocks) + 1):
        if stop == len(blocks) or blocks[stop].doc is not blocks[start].doc:
            runs.append((blocks[start].doc, start, stop))
            start = stop
    return runs


class ShapeFeatures(TransformerMixin, BaseEstimator):
    """Numeric layout, position and neighbourhood features for a list of blocks."""

    def fit(self, blocks: list[Block], y: object = None) -> ShapeFeatures:
        return self

    def transform(self, blocks: list[Block]) -> np.ndarray:
        parts = []
        for document, start, stop in documents_of(blocks):
            rows = [block.index for block in blocks[start:stop]]  # a page's blocks or some of them
            parts.append(_document_features(document)[rows])
        return np.vstack(parts) if parts else np.zeros((0, 40))
