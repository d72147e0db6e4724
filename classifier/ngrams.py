"""Character and word n-gram counts of many short texts at once, hashed with numpy.

scikit-learn's ``char_wb`` analyzer builds every n-gram of every block as a Python string and
looks it up in a dict; on an HTML page of a few hundred blocks that was the largest single cost
of labelling it. Here all texts are joined into one array of code points and the n-grams of
every length are hashed in a handful of vectorised passes, like ``HashingVectorizer`` but
without a Python loop per block. The counts go on to a ``TfidfTransformer``.

Word n-grams are counted against a learnt vocabulary, like ``CountVectorizer``'s, but looked
up the same way: by the hashes of their words, found in one pass over all texts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.validation import check_is_fitted

from classifier.charcounts import char_flags, code_points

_SEPARATOR = 0  # code point between texts; an n-gram that spans it belongs to no text
_SPACE = 32
_MULTIPLIER = np.uint64(0x100000001B3)  # the 64-bit FNV prime


def _mix(hashed: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: FNV alone leaves the last characters in the low bits."""
    for shift, multiplier in ((33, 0xFF51AFD7ED558CCD), (33, 0xC4CEB9FE1A85EC53)):
        hashed = (hashed ^ (hashed >> np.uint64(shift))) * np.uint64(multiplier)
    return hashed ^ (hashed >> np.uint64(33))


class HashedCharNgrams(TransformerMixin, BaseEstimator):
    """Counts of the character n-grams of the words of each text's lower-cased head, each word
    padded with a space (scikit-learn's ``char_wb``).

    Stateless, like ``HashingVectorizer``: ``fit`` learns nothing, so the same text always
    gets the same columns. A NUL character separates texts, so n-grams across one in a text
    are not counted.
    """

    def __init__(self, ngram_range: tuple[int, int] = (2, 4), n_features: int = 2 ** 18,
                 head_chars: int = 120) -> None:
        self.ngram_range = ngram_range
        self.n_features = n_features
        self.head_chars = head_chars

    def fit(self, texts: Sequence[str], y: object = None) -> HashedCharNgrams:
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        # Padding with spaces gives a text's first and last word their edge n-grams, as
        # char_wb does; collapsing whitespace makes a line break count as a space.
        heads = [f" {' '.join(text[:self.head_chars].lower().split())} " for text in texts]
        codes, lengths = code_points(heads)
        codes = codes.astype(np.uint64)
        text_of = np.repeat(np.arange(len(heads)), lengths + 1)
        rows, columns = [], []
        low, high = self.ngram_range
        for n in range(low, high + 1):
            count = len(codes) - n + 1
            if count <= 0:
                continue
            hashed = np.full(count, n, dtype=np.uint64)
            inside = np.ones(count, dtype=bool)
            for k in range(n):
                window = codes[k:k + count]
                hashed = (hashed ^ window) * _MULTIPLIER
                inside &= window != _SEPARATOR
                if 0 < k < n - 1:  # as in char_wb, n-grams stay within a word and its edges
                    inside &= window != _SPACE
            columns.append(_mix(hashed[inside]) % np.uint64(self.n_features))
            rows.append(text_of[:count][inside])
        rows_all = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        columns_all = np.concatenate(columns).astype(np.int64) if columns else rows_all
        counts = sp.csr_matrix((np.ones(len(rows_all), dtype=np.float32), (rows_all, columns_all)),
                               shape=(len(heads), self.n_features))
        counts.sum_duplicates()
        return counts


# Each word's polynomial hash comes from prefix sums over all the code points: the difference
# of two sums is the word's hash shifted by its position, and multiplying by the inverse power
# (the base is odd, so it has one modulo 2**64) gives the same hash wherever the word stands.
_BASE = 0x9E3779B97F4A7C15
_INVERSE = pow(_BASE, -1, 2 ** 64)


def _powers(base: int, count: int) -> np.ndarray:
    powers = np.full(count, base, dtype=np.uint64)
    powers[0] = 1
    return np.cumprod(powers)  # wraps modulo 2**64, as the hash wants


def _word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """A hash of each word of two or more word characters in the lower-cased ``texts`` (the
    words of ``CountVectorizer``'s default token pattern), and the text each word is in."""
    codes, lengths = code_points([text.lower() for text in texts])
    is_word = np.concatenate([[False], char_flags(codes, ("word",))["word"], [False]])
    edges = np.flatnonzero(is_word[1:] != is_word[:-1])
    starts, ends = edges[0::2], edges[1::2]
    long_enough = ends - starts >= 2
    starts, ends = starts[long_enough], ends[long_enough]
    sums = np.zeros(len(codes) + 1, dtype=np.uint64)
    np.cumsum(codes.astype(np.uint64) * _powers(_BASE, len(codes)), out=sums[1:])
    hashed = (sums[ends] - sums[starts]) * _powers(_INVERSE, len(codes))[starts]
    text_ends = np.cumsum(lengths + 1) - 1  # the NUL after each text
    return _mix(hashed), np.searchsorted(text_ends, starts)


def _ngram_hashes(texts: Sequence[str],
                  ngram_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hash of every run of n consecutive words within one text, for each n in
    ``ngram_range``; with the text each run is in, and its n."""
    words, text_of = _word_hashes(texts)
    hashes, rows, sizes = [], [], []
    for n in range(ngram_range[0], ngram_range[1] + 1):
        count = max(len(words) - n + 1, 0)
        hashed = words[:count]
        for k in range(1, n):
            hashed = _mix(hashed * _MULTIPLIER ^ words[k:k + count])
        within = text_of[:count] == text_of[n - 1:]
        hashes.append(hashed[within])
        rows.append(text_of[:count][within])
        sizes.append(np.full(int(within.sum()), n))
    return np.concatenate(hashes), np.concatenate(rows), np.concatenate(sizes)


class WordNgramCounts(CountVectorizer):
    """``CountVectorizer`` with its default words (two or more word characters, lower-cased):
    the vocabulary is learnt by its own ``fit``, and ``transform`` gives the same counts, but
    finds the n-grams of all texts in numpy passes rather than one Python call per n-gram,
    which made the word features the largest cost of labelling a page.

    An n-gram is looked up by a 64-bit hash of its words; the vocabulary's terms are hashed
    the same way when fitted. Two different n-grams of ordinary text share a hash with odds of
    about one in 2**64 per pair (text built to collide could make one word count as another,
    and no more)."""

    def __init__(self, ngram_range: tuple[int, int] = (1, 1), min_df: float = 1,
                 max_df: float = 1.0, max_features: int | None = None,
                 dtype: type = np.float32) -> None:
        super().__init__(ngram_range=ngram_range, min_df=min_df, max_df=max_df,
                         max_features=max_features, dtype=dtype)

    def fit_transform(self, texts: Sequence[str], y: object = None) -> sp.csr_matrix:
        counts = super().fit_transform(texts)
        terms = sorted(self.vocabulary_, key=self.vocabulary_.get)  # term i is column i
        hashes, columns, sizes = _ngram_hashes(terms, self.ngram_range)
        # A term of n words (joined by spaces) is the one n-gram of its text of that length.
        whole = sizes == np.array([term.count(" ") + 1 for term in terms])[columns]
        order = np.argsort(hashes[whole])
        self.term_hashes_ = hashes[whole][order]
        self.term_columns_ = columns[whole][order].astype(np.int32)
        return counts

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        check_is_fitted(self, "term_hashes_")
        if isinstance(texts, str):
            raise ValueError("an iterable of texts was expected, not one string")
        texts = list(texts)
        hashes, rows, _ = _ngram_hashes(texts, self.ngram_range)
        # Sorted, the n-grams are found in the vocabulary in a fraction of the time.
        order = np.argsort(hashes)
        hashes, rows = hashes[order], rows[order]
        at = np.minimum(np.searchsorted(self.term_hashes_, hashes), len(self.term_hashes_) - 1)
        known = self.term_hashes_[at] == hashes
        counts = sp.csr_matrix((np.ones(int(known.sum()), dtype=self.dtype),
                                (rows[known], self.term_columns_[at[known]])),
                               shape=(len(texts), len(self.vocabulary_)))
        counts.sum_duplicates()
        return counts
