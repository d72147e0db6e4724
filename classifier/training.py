"""Training data and training: hand-labelled documents, plus pages whose reference text tells
body from the rest."""

from __future__ import annotations

import difflib
import hashlib
import logging
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
from classifier.jobs import LABELS, missing_labels
from classifier.model import SequenceClassifier, first_pass
from classifier.store import ParasiftModel

log = logging.getLogger(__name__)


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
        html = page.html()  # a page file that cannot be read stops training, naming it
        try:
            document = from_html(html)
        except InvalidInput:  # a page with nothing to label
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
    for number, doc in read_labelled(path):
        where = f"{path}:{number} (id {doc.get('id')!r})"
        _check_document(doc, where)
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


def _is_list_of(value: object, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(item, kind) for item in value)


def _check_document(doc: dict, where: str) -> None:
    """A labelled document either carries its paragraphs or labels blocks of a page; every
    way it can be wrong is an ``InvalidInput`` that says where and how."""
    for field in ("url", "page"):
        if doc.get(field) is not None and not isinstance(doc[field], str):
            raise InvalidInput(f"{where}: {field} must be a string")
    if "paragraphs" in doc:
        paragraphs = doc["paragraphs"]
        if not isinstance(paragraphs, list) or not paragraphs or not all(
                isinstance(p, dict) and isinstance(p.get("text"), str)
                and isinstance(p.get("label"), str) for p in paragraphs):
            raise InvalidInput(f'{where}: "paragraphs" must be a non-empty list of '
                               f'{{"text": string, "label": string}}')
        labels = [paragraph["label"] for paragraph in paragraphs]
    else:
        blocks = doc.get("blocks")
        if not (isinstance(doc.get("page"), str) and isinstance(doc.get("sha256"), str)
                and _is_list_of(blocks, int) and len(blocks) == 2 and blocks[0] < blocks[1]
                and _is_list_of(doc.get("labels"), str) and doc["labels"]):
            raise InvalidInput(f'{where}: needs "paragraphs", or "page", "blocks": [start, '
                               f'stop], "sha256" and "labels" for blocks of a page')
        labels = doc["labels"]
    unknown = sorted(set(labels) - set(LABELS))
    if unknown:
        raise InvalidInput(f"{where}: unknown labels {unknown}; use {', '.join(LABELS)}")


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
            raise InvalidInput(f"no corpus at {path}")
        if path.is_dir() and not ((path / "labeled").is_dir() or (path / "wcxb-dev").is_dir()):
            raise InvalidInput(f"{path} holds neither labeled/ nor wcxb-dev/")
        if not path.is_dir() and not path.is_file():
            raise InvalidInput(f"{path} is neither a folder nor a file")
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
    if not corpus.labelled:
        raise InvalidInput("no labelled documents to train on (a folder holds them in "
                           "labeled/*.jsonl)")
    missing = missing_labels(label for example in corpus.labelled for label in example.labels)
    if missing:  # a model without one would fail every job
        raise InvalidInput(f"the labelled documents have no {' or '.join(missing)} paragraphs; "
                           f"a model learns each of {', '.join(LABELS)} from examples")
    if len(corpus.labelled) < 2:
        raise InvalidInput("at least two labelled documents are needed: the model's second "
                           "pass learns from its first pass's scores on documents it did not "
                           "see")
    fits = {"text": delayed(fit)(corpus.labelled, markup=False)}
    if corpus.pages:
        hand = {ex.page.id: ex for ex in corpus.labelled if ex.page}
        fits["html"] = delayed(_fit_pages)(corpus.pages, hand)
    # Two models from different data, each fit in one process: side by side on two cores.
    fitted = dict(zip(fits, Parallel(n_jobs=len(fits))(fits.values())))
    if "html" in fitted and fitted["html"] is None:
        del fitted["html"]
        log.warning("no HTML model: the pages' blocks do not hold all of %s (only hand-labelled "
                    "blocks give appeal); HTML jobs will use the text model", ", ".join(LABELS))
    return ParasiftModel(fitted)


def _fit_pages(pages: list[Page], hand_by_page: dict[str, Labelled]) -> BodyFirst | None:
    """The HTML model, or None (HTML jobs then go to the text model) when the pages' blocks do
    not hold every label: only hand labels give appeal, and a model without one fails."""
    examples = html_examples(pages, hand_by_page)
    if missing_labels(label for example in examples for label in example.labels):
        return None
    return fit(examples, markup=True)
