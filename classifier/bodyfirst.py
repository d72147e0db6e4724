"""HTML mode's estimator: body or not first, then appeal or cruft among the rest, both from the
same features of each block.

The HTML model learns from whole pages, but people labelled only a stretch of each page around
the article; the other blocks are labelled from the reference text, body where they line up
with it and cruft elsewhere, the pitches among them included. That tells body from the rest
well and appeal from cruft badly (held-out appeal F1 0.476, model 0.6.0). So a second sequence
classifier, fit only on the appeal and cruft blocks a person labelled, reads the first one's
features of the blocks it did not call body and tells those apart.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from classifier.documents import Block
from classifier.model import SequenceClassifier
from classifier.shape import documents_of


class BodyFirst(ClassifierMixin, BaseEstimator):
    """``body`` decides which blocks are body; ``kind``, the linear first pass of a second
    ``SequenceClassifier`` over ``body``'s features, learns the other labels from the rows
    marked ``by_hand`` alone. Unless every fold of its training has two such labels to learn
    from (and there is a body label), ``body``'s own decision stands for every block."""

    def __init__(self, body: SequenceClassifier | None = None, kind: BaseEstimator | None = None,
                 folds: int = 5) -> None:
        self.body = body
        self.kind = kind
        self.folds = folds

    def fit(self, blocks: list[Block], labels: np.ndarray,
            by_hand: np.ndarray | None = None) -> BodyFirst:
        labels = np.asarray(labels)
        self.body_ = clone(self.body if self.body is not None else SequenceClassifier()).fit(
            blocks, labels)
        self.classes_ = self.body_.classes_
        hand = np.ones(len(labels), bool) if by_hand is None else np.asarray(by_hand, bool)
        rows = np.flatnonzero(hand & (labels != "body"))
        others = [blocks[row] for row in rows]
        folds = min(self.folds, len(documents_of(others)))
        # Frozen: the second classifier reads the first one's features, never refits them.
        first = Pipeline([("features", FrozenEstimator(self.body_.first_[:-1])),
                          ("linear", clone(self.kind if self.kind is not None
                                           else LogisticRegression(max_iter=1000)))])
        kind = SequenceClassifier(first, folds=folds, core=False)
        kinds = set(labels[rows])
        # A linear model refuses to learn from one label, so each of its folds needs them all.
        learnable = "body" in self.classes_ and len(kinds) >= 2 and folds >= 2 and all(
            set(labels[rows[train]]) == kinds for train, _ in kind.splits(others))
        self.kind_ = kind.fit(others, labels[rows]) if learnable else None
        return self

    def decide(self, blocks: list[Block]) -> tuple[np.ndarray, np.ndarray]:
        """The probabilities, and each block's label as an index into ``classes_``. A block
        not decided body keeps its body probability; the rest of it is split between the
        other labels as ``kind`` splits it."""
        features = self.body_.features_of(blocks)
        proba, best = self.body_.decide_of(features, blocks)
        if self.kind_ is None:
            return proba, best
        body = list(self.classes_).index("body")
        other = np.flatnonzero(best != body)
        if not len(other):
            return proba, best
        kind, kind_best = self.kind_.decide_of(features[other], [blocks[row] for row in other])
        columns = np.searchsorted(self.classes_, self.kind_.classes_)
        best[other] = columns[kind_best]
        proba[np.ix_(other, columns)] = (1 - proba[other, body])[:, None] * kind
        return proba, best

    def predict_proba(self, blocks: list[Block]) -> np.ndarray:
        return self.decide(blocks)[0]

    def predict(self, blocks: list[Block]) -> np.ndarray:
        return self.classes_[self.decide(blocks)[1]]

