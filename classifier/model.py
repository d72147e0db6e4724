"""The estimator: TF-IDF and shape features, a linear first pass, and a second linear pass over
the first pass's scores of each block's neighbours.

Rows are ``Block`` objects; each block knows its document, so features that need the
neighbourhood can see it while everything stays an ordinary scikit-learn estimator
(``fit(blocks, labels)``, ``predict``, ``predict_proba``).
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from classifier.documents import Block
from classifier.ngrams import HashedCharNgrams, WordNgramCounts
from classifier.shape import ShapeFeatures, documents_of, shifted, window_mean


class BlockAttribute(TransformerMixin, BaseEstimator):
    """Select one attribute of every block, e.g. its text, to feed a vectorizer."""

    def __init__(self, name: str = "text") -> None:
        self.name = name

    def fit(self, blocks: list[Block], y: object = None) -> BlockAttribute:
        return self

    def transform(self, blocks: list[Block]) -> list[str]:
        return [getattr(block, self.name) for block in blocks]


class OncePerDistinct(TransformerMixin, BaseEstimator):
    """Transform each distinct string once and repeat its row: most blocks of a page share
    their markup tokens with others (a menu's items, a list's entries)."""

    def __init__(self, transformer: TransformerMixin | None = None) -> None:
        self.transformer = transformer

    def fit(self, texts: list[str], y: object = None) -> OncePerDistinct:
        self.transformer_ = clone(self.transformer).fit(texts)
        return self

    def transform(self, texts: list[str]) -> object:
        row_of: dict[str, int] = {}
        rows = [row_of.setdefault(text, len(row_of)) for text in texts]
        return self.transformer_.transform(list(row_of))[rows]


def first_pass(markup: bool) -> Pipeline:
    """Per-block features and a linear classifier; ``markup`` adds the HTML layout tokens."""
    features = [
        ("words", make_pipeline(BlockAttribute("text"), WordNgramCounts(
            ngram_range=(1, 2), min_df=2, max_features=200_000),
                                TfidfTransformer(sublinear_tf=True))),
        # Character n-grams of each block's first 120 characters tell a menu item or a pitch
        # from prose in any language, without paying for every n-gram of a long paragraph.
        ("chars", make_pipeline(BlockAttribute("text"), HashedCharNgrams(head_chars=120),
                                TfidfTransformer(sublinear_tf=True))),
        ("shape", make_pipeline(ShapeFeatures(), StandardScaler())),
    ]
    if markup:
        features.append(("markup", make_pipeline(BlockAttribute("markup"), OncePerDistinct(
            CountVectorizer(token_pattern=r"\S+", min_df=3, binary=True, dtype=np.float32)))))
    # Pages cut from HTML give four times the rows of labelled text; stochastic gradient descent
    # on the same log loss keeps their training within minutes.
    linear = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=15, tol=None, random_state=0) \
        if markup else LogisticRegression(C=1.0, max_iter=1000)
    return Pipeline([("features", FeatureUnion(features)), ("linear", linear)])


def neighbour_scores(scores: np.ndarray, blocks: list[Block]) -> np.ndarray:
    """Each block's first-pass scores beside those of its neighbours and its surroundings."""
    parts = []
    for _, start, stop in documents_of(blocks):
        own = scores[start:stop]
        columns = [own]
        columns += [shifted(own, offset) for offset in (1, 2, 3, -1, -2, -3)]
        columns += [np.column_stack([window_mean(own[:, k], radius) for k in range(own.shape[1])])
                    for radius in (2, 5, 12)]
        columns.append(np.repeat(own.mean(axis=0, keepdims=True), len(own), axis=0))
        parts.append(np.hstack(columns))
    return np.vstack(parts)


def core_context(scores: np.ndarray, blocks: list[Block], body: int | None) -> np.ndarray:
    """Where each block sits among the blocks the first pass is sure of.

    Furniture and pitches gather before and after an article's core, so: how far a block lies
    before the first or after the last block scored body, the share of the page's body score
    on either side of it, the strongest score of each label nearby (a pitch box is a run), and
    the nearest sure label on each side with its distance (a block between two menu items is
    rarely body). All documents at once: a loop per document cost more than the features."""
    pages = _Pages(blocks)
    body_score = scores[:, body] if body is not None else np.zeros(len(scores))
    return np.hstack([_body_core(body_score, pages), _nearby_max(scores, pages, (1, 3)),
                      _nearest_sure(scores, pages, sure=0.8)])


class _Pages:
    """For each row of a batch of documents: its document's number, first row and end."""

    def __init__(self, blocks: list[Block]) -> None:
        runs = documents_of(blocks)
        lengths = [stop - start for _, start, stop in runs]
        self.starts = np.array([start for _, start, _ in runs], dtype=int)
        self.number = np.repeat(np.arange(len(runs)), lengths)
        self.first = self.starts[self.number]
        self.stop = np.repeat([stop for _, _, stop in runs], lengths).astype(int)
        self.length = (self.stop - self.first).astype(float)
        self.index = np.arange(len(blocks))

    def per_row(self, per_document: np.ndarray) -> np.ndarray:
        return per_document[self.number]


def _body_core(body_score: np.ndarray, pages: _Pages) -> np.ndarray:
    index, core = pages.index, body_score > 0.5
    first = pages.per_row(np.minimum.reduceat(np.where(core, index, len(index)), pages.starts))
    last = pages.per_row(np.maximum.reduceat(np.where(core, index, -1), pages.starts))
    found = last >= 0
    before = np.where(found, np.maximum(first - index, 0), pages.length)
    after = np.where(found, np.maximum(index - last, 0), pages.length)
    total = pages.per_row(np.add.reduceat(body_score, pages.starts)) + 1e-9
    earlier = np.cumsum(body_score) - body_score
    mass_before = (earlier - earlier[pages.first]) / total
    return np.column_stack([np.log1p(before), np.log1p(after), (before == 0) & (after == 0),
                            mass_before, 1 - mass_before - body_score / total])


def _nearby_max(own: np.ndarray, pages: _Pages, radii: tuple[int, ...]) -> np.ndarray:
    """The highest score of each label within each radius, inside the block's own document."""
    best, found = own.copy(), {}
    page = pages.number + 1  # shifted() fills with 0, which then matches no page
    for shift in range(1, max(radii) + 1):
        for offset in (shift, -shift):
            same_page = shifted(page, offset) == page
            best = np.maximum(best, np.where(same_page[:, None], shifted(own, offset), 0))
        if shift in radii:
            found[shift] = best.copy()
    return np.column_stack([found[radius][:, label] for label in range(own.shape[1])
                            for radius in radii])


def _nearest_sure(own: np.ndarray, pages: _Pages, sure: float) -> np.ndarray:
    """One-hot label of the nearest block before, then after, each block whose best score
    exceeds ``sure``, with the log distance to it (the document's length if there is none)."""
    n, k = own.shape
    index, is_sure = pages.index, own.max(axis=1) > sure
    best_label = own.argmax(axis=1)
    # the last sure row strictly before each row, and the first strictly after
    before = np.concatenate([[-1], np.maximum.accumulate(np.where(is_sure, index, -1))[:-1]])
    after = np.concatenate([np.minimum.accumulate(np.where(is_sure, index, n)[::-1])[::-1][1:],
                            [n]])
    columns = []
    for nearest, found in ((before, before >= pages.first), (after, after < pages.stop)):
        label = np.zeros((n, k))
        label[found, best_label[nearest[found]]] = 1
        distance = np.where(found, np.abs(index - nearest), pages.length)
        columns += [label, np.log1p(distance)[:, None]]
    return np.hstack(columns)


class SequenceClassifier(ClassifierMixin, BaseEstimator):
    """Stacked two-pass classifier: the second pass sees the neighbours' out-of-fold scores.

    ``core`` adds ``core_context`` to them. It helps where the first pass finds the article's
    core, and hurts a page where it does not: in HTML mode it dropped nearly all of a Japanese
    page's body (word-F1 0.87 to 0.10) on the independent pages, so the HTML model goes without.
    """

    def __init__(self, first: Pipeline | None = None, second: BaseEstimator | None = None,
                 folds: int = 5, core: bool = True) -> None:
        self.first = first
        self.second = second
        self.folds = folds
        self.core = core

    def _second_features(self, scores: np.ndarray, blocks: list[Block]) -> np.ndarray:
        features = [neighbour_scores(np.log(np.clip(scores, 1e-4, 1.0)), blocks),
                    ShapeFeatures().transform(blocks)]
        if self.core:
            labels = list(self.first_.classes_)
            body = labels.index("body") if "body" in labels else None
            features.append(core_context(scores, blocks, body))
        return np.hstack(features)

    def fit(self, blocks: list[Block], labels: np.ndarray) -> SequenceClassifier:
        labels = np.asarray(labels)
        splits = self.splits(blocks)
        first = self.first if self.first is not None else first_pass(markup=False)
        out_of_fold = cross_val_predict(first, blocks, labels, cv=splits, method="predict_proba")
        self.first_ = clone(first).fit(blocks, labels)
        second = self.second if self.second is not None else make_pipeline(
            StandardScaler(), LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=100))
        second_features = self._second_features(out_of_fold, blocks)
        self.second_ = clone(second).fit(second_features, labels)
        self.classes_ = self.first_.classes_
        held_out_scores = cross_val_predict(second, second_features, labels, cv=splits,
                                            method="predict_proba")
        self.weights_ = label_weights(held_out_scores, labels, self.classes_)
        return self

    def splits(self, blocks: list[Block]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The folds over documents (training rows, held-out rows) of ``fit``'s out-of-fold
        scores. Documents are numbered in order (not by id()), so that the folds, and so the
        model, are the same on every run."""
        numbers = np.concatenate([np.full(stop - start, number) for number, (_, start, stop)
                                  in enumerate(documents_of(blocks))])
        return list(GroupKFold(self.folds).split(blocks, groups=numbers))

    # The fitted parameters were validated once, at fit; checking them again on every call
    # costs more than the arithmetic on a short article.
    def features_of(self, blocks: list[Block]) -> object:
        """The blocks' first-pass features, which ``proba_of`` and ``decide_of`` take."""
        with config_context(skip_parameter_validation=True):
            return fitted_transform(self.first_[:-1], blocks)

    def proba_of(self, features: object, blocks: list[Block]) -> np.ndarray:
        """``predict_proba`` from the blocks' first-pass features."""
        with config_context(skip_parameter_validation=True):
            scores = fitted_proba(self.first_[-1], features)
            return fitted_proba(self.second_, self._second_features(scores, blocks))

    def decide_of(self, features: object, blocks: list[Block]) -> tuple[np.ndarray, np.ndarray]:
        """``decide`` from the blocks' first-pass features."""
        proba = self.proba_of(features, blocks)
        return proba, (proba * self.weights_).argmax(axis=1)

    def predict_proba(self, blocks: list[Block]) -> np.ndarray:
        return self.proba_of(self.features_of(blocks), blocks)

    def decide(self, blocks: list[Block]) -> tuple[np.ndarray, np.ndarray]:
        """The probabilities, and each block's label as an index into ``classes_``."""
        return self.decide_of(self.features_of(blocks), blocks)

    def predict(self, blocks: list[Block]) -> np.ndarray:
        return self.classes_[self.decide(blocks)[1]]


def fitted_proba(estimator: BaseEstimator, rows: object) -> np.ndarray:
    """``estimator.predict_proba(rows)``; for a fitted pipeline of transformers, feature unions
    and a final classifier, calling each part directly.

    scikit-learn's ``Pipeline`` and ``FeatureUnion`` check and wrap every step's input and
    output on each call (fitted-ness, tags, dataframe detection, a job dispatcher): about 1 ms
    for each model, a quarter of the time of a short article. The parts' own ``transform`` and
    ``predict_proba`` still run."""
    if isinstance(estimator, Pipeline):
        return estimator[-1].predict_proba(fitted_transform(estimator[:-1], rows))
    return estimator.predict_proba(rows)


def fitted_transform(transformer: TransformerMixin, rows: object) -> object:
    """``transformer.transform(rows)``, walking into pipelines and feature unions as
    ``fitted_proba`` does; a union with weights or dropped parts is left to scikit-learn."""
    if isinstance(transformer, Pipeline):
        for _, step in transformer.steps:
            if step not in (None, "passthrough"):
                rows = fitted_transform(step, rows)
        return rows
    if isinstance(transformer, FeatureUnion) and not transformer.transformer_weights and all(
            hasattr(part, "transform") for _, part in transformer.transformer_list):
        parts = [fitted_transform(part, rows) for _, part in transformer.transformer_list]
        if not any(map(sp.issparse, parts)):
            return np.hstack(parts)
        # All CSR, scipy stacks the parts side by side directly; one dense part among them sent
        # the whole matrix through COO, twice as slow.
        return sp.hstack([part if sp.issparse(part) else sp.csr_matrix(part) for part in parts],
                         format="csr")
    return transformer.transform(rows)


def label_weights(scores: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Per-label weights on the probabilities whose argmax gives the best macro-F1.

    Calibrated probabilities keep their meaning; only the decision moves, because the argmax of
    calibrated probabilities under-predicts a rare label such as appeal.
    """
    grid = (0.6, 0.8, 1.0, 1.25, 1.6, 2.0, 2.5)
    best, best_f1 = np.ones(len(classes)), -1.0
    for weights in itertools.product(grid, repeat=len(classes) - 1):
        candidate = np.array((1.0, *weights))  # the first label is the reference
        predicted = classes[(scores * candidate).argmax(axis=1)]
        score = f1_score(labels, predicted, average="macro")
        if score > best_f1 + 1e-9:
            best, best_f1 = candidate, score
    return best
