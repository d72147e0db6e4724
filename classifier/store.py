"""Saving and loading models. A model file is a pickle, so it is only unpickled after its SHA-256
matches the manifest written beside it; the manifest also records version, data and metrics."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn

from classifier.bodyfirst import BodyFirst
from classifier.documents import Block, Document
from classifier.errors import ModelIntegrityError
from classifier.jobs import LABELS, missing_labels

DEFAULT_MODEL_DIR = Path(__file__).parent / "models" / "default"
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
# Bumped whenever the saved objects change shape, so that a worker refuses at start a model file
# that this code cannot use, rather than answering every job with an internal error.
MODEL_FORMAT = 4


class ParasiftModel:
    """One classifier per input kind: HTML blocks carry layout that plain text does not."""

    def __init__(self, estimators: dict[str, Any], info: dict[str, str] | None = None) -> None:
        self.estimators = estimators
        self.info = info or {"name": "unsaved", "version": "0", "sha256": ""}

    # joblib unpickles with the pure-Python unpickler, which takes seconds over the vectorizers'
    # vocabularies; handing it one blob for the C unpickler makes loading several times faster.
    def __getstate__(self) -> dict[str, bytes]:
        return {"pickled": pickle.dumps(self.__dict__, protocol=pickle.HIGHEST_PROTOCOL)}

    def __setstate__(self, state: dict[str, bytes]) -> None:
        self.__dict__.update(pickle.loads(state["pickled"]))

    def estimator_for(self, document: Document) -> Any:
        kind = "html" if document.kind == "html" else "text"
        return self.estimators.get(kind) or self.estimators["text"]

    def predict_proba(self, document: Document) -> np.ndarray:
        """Scores of every block for each label, columns in ``LABELS`` order."""
        return self.decide(document)[0]

    def decide(self, document: Document) -> tuple[np.ndarray, np.ndarray]:
        """Scores in ``LABELS`` order, and each block's label as an index into ``LABELS``."""
        return self.decide_many([document])[0]

    def decide_many(self, documents: list[Document]) -> list[tuple[np.ndarray, np.ndarray]]:
        """``decide`` for each document, with the documents of a kind scored together.

        A call to the estimators has a fixed cost (scikit-learn's checks, the feature union,
        the second pass) as large as the work on a page of a few hundred blocks; one call over
        many documents pays it once. Features never cross a document's edge, so every document
        gets the labels it would get alone."""
        blanks = [np.array([not block.text.strip() for block in document.blocks], bool)
                  for document in documents]
        shown = [_without(document, blank) if blank.any() else document
                 for document, blank in zip(documents, blanks)]
        decisions: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for numbers in _together(shown, self.estimator_for):
            group = [shown[number] for number in numbers]
            scores, best = _decide(self.estimator_for(group[0]),
                                   [block for document in group for block in document.blocks])
            ends = np.cumsum([len(document) for document in group])[:-1]
            for number, own_scores, own_best in zip(numbers, np.split(scores, ends),
                                                    np.split(best, ends)):
                decisions[number] = (own_scores, own_best)
        nothing = (np.zeros((0, len(LABELS))), np.zeros(0, int))
        return [_with_blanks(*decisions.get(number, nothing), blank)
                for number, blank in enumerate(blanks)]


# A paragraph with no text (only a ``paragraphs`` job can hold one) is cruft for certain. The
# model does not see it: its features would take it for a short line among the others.
_CRUFT = LABELS.index("cruft")


def _without(document: Document, blank: np.ndarray) -> Document:
    return Document([replace(block) for block, empty in zip(document.blocks, blank) if not empty],
                    kind=document.kind, title=document.title)


def _with_blanks(scores: np.ndarray, best: np.ndarray,
                 blank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not blank.any():
        return scores, best
    all_scores = np.zeros((len(blank), len(LABELS)))
    all_scores[:, _CRUFT] = 1.0
    all_scores[~blank] = scores
    all_best = np.full(len(blank), _CRUFT)
    all_best[~blank] = best
    return all_scores, all_best


# Rows scored in one call at most: bounds the feature matrices of a large batch.
BLOCKS_PER_CALL = 20_000


def _together(documents: list[Document], estimator_for: Any) -> list[list[int]]:
    """Positions of the documents with blocks, grouped by the estimator that scores them, each
    group cut to at most ``BLOCKS_PER_CALL`` blocks (a larger document goes alone)."""
    groups: dict[int, list[list[int]]] = {}
    sizes: dict[int, int] = {}
    for number, document in enumerate(documents):
        if not document.blocks:
            continue  # nothing to score
        key = id(estimator_for(document))
        runs = groups.setdefault(key, [[]])
        if runs[-1] and sizes[key] + len(document) > BLOCKS_PER_CALL:
            runs.append([])
            sizes[key] = 0
        runs[-1].append(number)
        sizes[key] = sizes.get(key, 0) + len(document)
    return [numbers for runs in groups.values() for numbers in runs]


def _decide(estimator: Any, blocks: list[Block]) -> tuple[np.ndarray, np.ndarray]:
    """The estimator's scores and labels, with scores and label numbers in ``LABELS`` order."""
    scores, best = estimator.decide(blocks)
    order = [list(estimator.classes_).index(label) for label in LABELS]
    return scores[:, order], np.argsort(order)[best]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_model(model: ParasiftModel, directory: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write ``model.joblib`` and its manifest (``manifest`` plus the file's SHA-256)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_FILE
    model.info = {}  # the identity is written by the manifest and restored at load time
    _drop_stop_words(model)
    _transpose_coefficients(model)
    joblib.dump(model, path, compress=("zlib", 6))
    manifest = {**manifest, "format": MODEL_FORMAT, "scikit_learn": sklearn.__version__,
                "file": MODEL_FILE, "sha256": sha256_of(path)}
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    model.info = _info(manifest)
    return manifest


def _drop_stop_words(model: ParasiftModel) -> None:
    """Vectorizers keep every term they dropped in ``stop_words_``: only useful for
    introspection, and most of a model file's size and loading time. They also keep
    ``_stop_words_id``, the memory address of their stop-word list, which differs from run to
    run and alone made two trainings on the same data write different files."""
    for estimator in _sequences(model):
        for part in estimator.first_.get_params().values():
            for vectorizer in (part, getattr(part, "transformer_", None)):  # OncePerDistinct
                for leftover in ("stop_words_", "_stop_words_id"):
                    if hasattr(vectorizer, leftover):
                        delattr(vectorizer, leftover)


def _transpose_coefficients(model: ParasiftModel) -> None:
    """Store the first pass's coefficients column-major: scikit-learn multiplies the sparse
    features by ``coef_.T``, and scipy copied a row-major matrix of every feature's weights
    for each page to get it contiguous."""
    for estimator in _sequences(model):
        linear = estimator.first_.steps[-1][1]
        linear.coef_ = np.asfortranarray(linear.coef_)


def _sequences(model: ParasiftModel) -> list[Any]:
    """The model's ``SequenceClassifier``s, those inside a ``BodyFirst`` included."""
    parts = [(estimator.body_, estimator.kind_) if isinstance(estimator, BodyFirst)
             else (estimator,) for estimator in model.estimators.values()]
    return [part for group in parts for part in group if part is not None]


def _info(manifest: dict[str, Any]) -> dict[str, str]:
    return {"name": manifest.get("name", ""), "version": manifest.get("version", ""),
            "sha256": manifest["sha256"]}


# The manifest fields a model is loaded by, and the JSON type each must have.
_MANIFEST_TYPES = {"format": int, "scikit_learn": str, "file": str, "sha256": str, "name": str,
                   "version": str}


def read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text())
    except (OSError, ValueError) as error:
        raise ModelIntegrityError(f"no readable manifest in {directory}: {error}") from error
    if not isinstance(manifest, dict):
        raise ModelIntegrityError(f"{directory / MANIFEST_FILE} is not a JSON object")
    wrong = [field for field, kind in _MANIFEST_TYPES.items()
             if field in manifest and not isinstance(manifest[field], kind)]
    if wrong:
        raise ModelIntegrityError(f"{directory / MANIFEST_FILE}: wrong type of {', '.join(wrong)}")
    return manifest


def load_model(directory: str | Path | None = None) -> ParasiftModel:
    """Load a saved model, refusing any file whose SHA-256 differs from its manifest's."""
    directory = Path(directory or os.environ.get("PARASIFT_MODEL") or DEFAULT_MODEL_DIR)
    manifest = read_manifest(directory)
    if manifest.get("format") != MODEL_FORMAT:
        raise ModelIntegrityError(f"{directory} holds a model of format {manifest.get('format')}; "
                                  f"this parasift reads format {MODEL_FORMAT}: retrain it")
    trained_with = manifest.get("scikit_learn", "")
    if _release(trained_with) != _release(sklearn.__version__):
        remedy = f"install scikit-learn=={_release(trained_with)}.* or retrain" if trained_with \
            else "retrain it"
        raise ModelIntegrityError(
            f"{directory} holds estimators pickled by scikit-learn {trained_with or '(unknown)'}; "
            f"this is {sklearn.__version__}, whose classes may unpickle into different models: "
            f"{remedy}")
    path = directory / manifest.get("file", MODEL_FILE)
    if not path.is_file():
        raise ModelIntegrityError(f"model file {path} is missing")
    actual = sha256_of(path)
    if actual != manifest.get("sha256"):
        raise ModelIntegrityError(
            f"refusing to load {path}: SHA-256 {actual} does not match the manifest")
    try:
        model = joblib.load(path)
    except Exception as error:  # a file saved from a run that died, whose hash was then taken
        raise ModelIntegrityError(f"{path} cannot be unpickled: {error!r}") from error
    if not isinstance(model, ParasiftModel):
        raise ModelIntegrityError(f"{path} holds a {type(model).__name__}, not a parasift model")
    for kind, estimator in model.estimators.items():
        missing = missing_labels(estimator.classes_)
        if missing:  # it would fail every job
            raise ModelIntegrityError(
                f"{path}: its {kind} model never learnt {', '.join(missing)}; retrain it on "
                f"labelled documents with each of {', '.join(LABELS)}")
    model.info = _info(manifest)
    return model


def _release(version: str) -> str:
    """Major and minor version: scikit-learn keeps pickles loadable within a release only."""
    return ".".join(version.split(".")[:2])


@lru_cache(maxsize=1)
def default_model() -> ParasiftModel:
    """The configured model (``PARASIFT_MODEL`` or the shipped one), loaded once per process."""
    return load_model()
