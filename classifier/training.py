"""Training data and training: hand-labelled documents, plus pages whose reference text tells
body from the rest."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from classifier.alignment import body_mask
from classifier.bodyfirst import BodyFirst
from classifier.corpus import Page, domain_of, is_held_out, read_labelled, read_pages
from classifier.documents import Block, Document, from_paragraphs
from classifier.errors import InvalidInput
from classifier.htmlblocks import from_html
from classifier.jobs import LABELS
from classifier.model import SequenceClassifier, first_pass
from classifier.store import ParasiftModel


@dataclass
class Labelled:
    document: Document
    labels: list[str]
    page: Page | None = None
    domain: str = ""
    id: str = ""
    # Which labels a person gave (None: all of them); the others came from the reference text.
    by_hand: list[bool] | None = None

    def labels_on(self, blocks: list[str]) -> list[str | None]:
        """This document's hand labels carried over to the blocks of the same page, where the
        texts line up; None elsewhere."""
        found: list[str | None] = [None] * len(blocks)
        matcher = difflib.SequenceMatcher(None, blocks, self.document.texts, autojunk=False)
        for match in matcher.get_matching_blocks():
            for offset in range(match.size):
                found[match.a + offset] = self.labels[match.b + offset]
        return found


def flatten(examples: Iterable[Labelled]) -> tuple[list[Block], np.ndarray]:
    blocks: list[Block] = []
    labels: list[str] = []
    for example in examples:
        blocks += example.document.blocks
        labels += example.labels
    return blocks, np.array(labels)


def by_hand(examples: Iterable[Labelled]) -> np.ndarray:
    """For every block of ``flatten(examples)``, whether a person labelled it."""
    return np.concatenate([example.by_hand if example.by_hand is not None
                           else np.ones(len(example.labels), bool) for example in examples])


def page_id(labelled_doc: dict) -> str:
    return Path(labelled_doc["page"]).name.split(".")[0]


def labelled_page(page: Page, document: Document, hand: Labelled | None) -> Labelled:
    """The page's blocks with hand labels where the page was labelled (and marked ``by_hand``);
    elsewhere body where the block aligns with the reference text, and cruft otherwise.

    Self-training (the text model's confident appeal guesses for the unlabelled non-body blocks)
    was measured and dropped: on held-out hand labels that rule finds appeals with precision 0.86
    but recall 0.47, and it lowered the HTML model's body word-F1 on held-out pages.
    """
    texts = document.texts
    guessed = np.where(body_mask(texts, page.main_content, page.title), "body", "cruft")
    known = hand.labels_on(texts) if hand else [None] * len(texts)
    return Labelled(document, [label or guess for label, guess in zip(known, guessed)], page,
                    by_hand=[label is not None for label in known])


def html_examples(pages: list[Page], hand_by_page: dict[str, Labelled]) -> list[Labelled]:
    examples = []
    for page in pages:
        try:
            document = from_html(page.html())
        except InvalidInput:
            continue
        examples.append(labelled_page(page, document, hand_by_page.get(page.id)))
    return examples


def fit(examples: list[Labelled], markup: bool) -> SequenceClassifier | BodyFirst:
    """The text model, or with ``markup`` the HTML one (see ``classifier.bodyfirst``).

    On one BLAS thread: with more, the solvers' sums come out different in the last bits, so
    the model depended on the machine's cores (fit on two threads and on one, the text model's
    held-out macro-F1 differed by 0.0004, and on the independent labels by 0.004)."""
    blocks, labels = flatten(examples)
    folds = max(2, min(3 if markup else 5, len(examples)))
    sequence = SequenceClassifier(first_pass(markup=markup), folds=folds, core=not markup)
    with threadpool_limits(limits=1):
        if not markup:
            return sequence.fit(blocks, labels)
        return BodyFirst(sequence).fit(blocks, labels, by_hand=by_hand(examples))


@dataclass
class Corpus:
    """Hand-labelled documents (with their page where there is one) and reference-text pages."""

    labelled: list[Labelled]
    pages: list[Page]

    def part(self, held_out: bool) -> Corpus:
        """The held-out side (``held_out=True``) or the training side of the domain split."""
        return Corpus(
            [ex for ex in self.labelled if is_held_out(ex.domain) == held_out],
            [page for page in self.pages if is_held_out(page.domain) == held_out],
        )


def _labelled_docs(path: Path, pages: dict[str, Page]) -> list[Labelled]:
    examples = []
    for doc in read_labelled(path):
        page = pages.get(page_id(doc)) if doc.get("page") else None
        domain = page.domain if page else domain_of(doc.get("url") or "")
        if "paragraphs" in doc:
            texts = [paragraph["text"] for paragraph in doc["paragraphs"]]
            labels = [paragraph["label"] for paragraph in doc["paragraphs"]]
        else:
            texts, labels = labelled_window(page, doc, path), doc["labels"]
        examples.append(Labelled(from_paragraphs(texts), labels, page, domain,
                                 str(doc.get("id", ""))))
    return examples


def labelled_window(page: Page | None, doc: dict, path: Path) -> list[str]:
    """The texts that a labels-only line labels: blocks ``start:stop`` of its page, cut by this
    segmenter, checked against the SHA-256 recorded when they were labelled."""
    if page is None:
        raise InvalidInput(f"{path}: page {doc.get('page')!r} not found; give the corpus folder "
                           f"that holds it before this file")
    start, stop = doc["blocks"]
    texts = from_html(page.html()).texts[start:stop]
    if window_digest(texts) != doc["sha256"] or len(texts) != len(doc["labels"]):
        raise InvalidInput(f"{path}: page {page.id} no longer cuts into the blocks that were "
                           f"labelled; label it again")
    return texts


def window_digest(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()


def load_corpus(paths: Iterable[Path]) -> Corpus:
    """Folders laid out like ../shared/data (labeled/, wcxb-dev/) and labelled JSONL files.

    A JSONL line either carries its paragraphs (``{"paragraphs": [{"text", "label"}]}``) or only
    labels for blocks of a page in a given folder (``{"page", "blocks": [start, stop], "sha256",
    "labels"}``), so that labels for pages we may not copy can live in a repository."""
    paths = list(paths)
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"no corpus at {path}")
    pages = [page for path in paths if (path / "wcxb-dev").is_dir()
             for page in read_pages(path / "wcxb-dev")]
    by_id = {page.id: page for page in pages}
    files = [jsonl for path in paths if path.is_dir()
             for jsonl in sorted((path / "labeled").glob("*.jsonl"))]
    files += [path for path in paths if path.is_file()]
    labelled = [example for jsonl in files for example in _labelled_docs(jsonl, by_id)]
    return Corpus(labelled, pages)


def train_model(corpus: Corpus) -> ParasiftModel:
    """The text model from hand labels; the HTML model from pages, labelled by hand where the
    page was and by its reference text elsewhere (see ``labelled_page``)."""
    for example in corpus.labelled:
        unknown = set(example.labels) - set(LABELS)
        if unknown:
            raise InvalidInput(f"unknown labels {sorted(unknown)}; use {', '.join(LABELS)}")
    fits = {"text": delayed(fit)(corpus.labelled, markup=False)}
    if corpus.pages:
        hand = {ex.page.id: ex for ex in corpus.labelled if ex.page}
        fits["html"] = delayed(_fit_pages)(corpus.pages, hand)
    # Two models from different data, each fit in one process: side by side on two cores.
    fitted = Parallel(n_jobs=len(fits))(fits.values())
    return ParasiftModel(dict(zip(fits, fitted)))


def _fit_pages(pages: list[Page], hand_by_page: dict[str, Labelled]) -> BodyFirst:
    return fit(html_examples(pages, hand_by_page), markup=True)
