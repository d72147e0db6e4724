"""How good a model is: three-label scores on labelled documents, word-level F1 of ``body_text``
against reference text on pages, and a confusion-matrix picture for people."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from classifier.corpus import Page
from classifier.errors import InvalidInput
from classifier.htmlblocks import from_html
from classifier.jobs import LABELS
from classifier.labeling import classify
from classifier.store import ParasiftModel
from classifier.textmetrics import word_prf
from classifier.training import Corpus, Labelled, flatten


def label_scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=list(LABELS), zero_division=0)
    per_label = {label: {"precision": round(float(p), 4), "recall": round(float(r), 4),
                         "f1": round(float(f), 4), "support": int(s)}
                 for label, p, r, f, s in zip(LABELS, precision, recall, f1, support)}
    return {"labels": per_label, "macro_f1": round(float(np.mean(f1)), 4),
            "accuracy": round(float(np.mean(truth == predicted)), 4),
            "confusion": confusion_matrix(truth, predicted, labels=list(LABELS)).tolist()}


def evaluate_documents(model: ParasiftModel, examples: list[Labelled]) -> dict[str, Any]:
    """Three-label scores over every paragraph of the labelled documents."""
    _, truth = flatten(examples)
    started = time.perf_counter()
    predicted = np.concatenate([
        np.array(LABELS)[model.decide(example.document)[1]]
        for example in examples])
    elapsed = time.perf_counter() - started
    return {"documents": len(examples), "paragraphs": len(truth),
            "paragraphs_per_second": round(len(truth) / elapsed), **label_scores(truth, predicted)}


def evaluate_html_labels(model: ParasiftModel,
                         examples: list[Labelled]) -> dict[str, Any] | None:
    """Three-label scores in HTML mode: each labelled document's page is cut into HTML blocks
    and labelled; its hand labels are carried to the blocks whose text lines up with a
    labelled paragraph (``Labelled.labels_on``), and only those blocks are scored. None when
    no block lines up with one."""
    truth: list[str] = []
    predicted: list[str] = []
    pages = 0
    for example in examples:
        if example.page is None:
            continue
        try:
            document = from_html(example.page.html())
        except InvalidInput:
            continue
        hand = example.labels_on(document.texts)
        pages += 1
        for known, best in zip(hand, model.decide(document)[1]):
            if known:
                truth.append(known)
                predicted.append(LABELS[best])
    if not truth:
        return None
    return {"pages": pages, "blocks": len(truth),
            **label_scores(np.array(truth), np.array(predicted))}


def evaluate_pages(model: ParasiftModel, pages: list[Page]) -> dict[str, Any]:
    """Mean word-level precision/recall/F1 of ``body_text`` against each page's reference."""
    scores, failures = [], 0
    for page in pages:
        result = classify({"html": page.html()}, model)
        if result["status"] != "ok":
            failures += 1
            scores.append((0.0, 0.0, 0.0))
            continue
        scores.append(word_prf(result["body_text"], page.main_content))
    precision, recall, f1 = np.mean(scores, axis=0) if scores else (0.0, 0.0, 0.0)
    return {"pages": len(pages), "failures": failures, "word_precision": round(float(precision), 4),
            "word_recall": round(float(recall), 4), "word_f1": round(float(f1), 4)}


def evaluate_corpus(model: ParasiftModel, corpus: Corpus) -> dict[str, Any]:
    """Every score the corpus allows: ``text`` (three labels on the labelled documents),
    ``html_labels`` (three labels on their pages' HTML blocks), ``html`` (word-F1 of
    ``body_text`` on pages with reference text)."""
    report: dict[str, Any] = {}
    if corpus.labelled:
        report["text"] = evaluate_documents(model, corpus.labelled)
    html_labels = evaluate_html_labels(model, corpus.labelled)
    if html_labels:
        report["html_labels"] = html_labels
    if corpus.pages:
        report["html"] = evaluate_pages(model, corpus.pages)
    return report


def plot_formats() -> set[str]:
    """The file suffixes (without the dot) that ``plot_confusion`` can write: matplotlib's,
    but PGF, which needs a LaTeX installation."""
    from matplotlib.backend_bases import FigureCanvasBase

    return set(FigureCanvasBase.get_supported_filetypes()) - {"pgf"}


def plot_confusion(confusion: list[list[int]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in CI
    from sklearn.metrics import ConfusionMatrixDisplay

    display = ConfusionMatrixDisplay(np.array(confusion), display_labels=list(LABELS))
    display.plot(cmap="Blues", values_format="d")
    display.ax_.set_title(title)
    display.figure_.tight_layout()
    display.figure_.savefig(path, dpi=120)
