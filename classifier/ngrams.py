"""Character n-gram counts of many short texts at once, hashed with numpy.

scikit-learn's ``char_wb`` analyzer builds every n-gram of every block as a Python string and
looks it up in a dict; on an HTML page of a few hundred blocks that was the largest single cost
of labelling it. Here all texts are joined into one array of code points and the n-grams of
every length are hashed in a handful of vectorised passes, like ``HashingVectorizer`` but
without a Python loop per block. The counts go on to a ``TfidfTransformer``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.charcounts import code_points

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
