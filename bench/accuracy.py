"""Accuracy and speed of parasift side by side with other extractors, on pages it never trained on.

    python -m bench.accuracy [--data ../shared/data] [--limit N] [--independent DIR]

HTML mode: each system turns a held-out wcxb-dev page into text, scored by word-level
precision/recall/F1 against the reference text (``classifier.textmetrics.word_prf``), and timed
on the same pages in the same run. Text mode: the held-out hand-labelled documents, one label per
given paragraph; and parasift's three labels in HTML mode, on the blocks of those documents'
pages that line up with a labelled paragraph. An independent set in ``bench/independent``
(``pages/<id>.html``, ``truth/<id>.json``, hand labels in ``labels.jsonl``) is run the same way
when present.
Writes ``bench/results/accuracy.md``, ``accuracy.png`` (for the README) and ``accuracy.json``
(per-page F1, to find what to fix).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import shlex
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support
from threadpoolctl import threadpool_limits

from bench.extractors import (
    COMPETITORS,
    BatchExtractor,
    HtmlExtractor,
    Labeller,
    justext_labels,
    keep_everything,
    parasift_html,
    parasift_html_batches,
    parasift_labels,
    version_of,
)
from classifier.corpus import Page, read_labelled
from classifier.documents import from_paragraphs
from classifier.evaluation import evaluate_html_labels
from classifier.jobs import LABELS
from classifier.textmetrics import word_prf
from classifier.training import Labelled, labelled_window, load_corpus

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
BASELINE = "keep everything"  # no real work to time
BATCH = 20  # pages per call in the batched run: a worker's batch, parasift.classify_batch
BATCHED = f"parasift, {BATCH} pages per call"


@dataclass
class HtmlCase:
    id: str
    html: bytes
    reference: str
    with_snippets: list[str] = field(default_factory=list)
    without_snippets: list[str] = field(default_factory=list)
    language: str = "en"  # ISO 639-1


@dataclass
class TextCase:
    id: str
    paragraphs: list[str]
    labels: list[str]
    page: Page | None = None  # the page the paragraphs were cut from, for HTML mode's labels
    language: str = "en"


@dataclass
class Dataset:
    name: str
    description: str
    pages: list[HtmlCase]
    docs: list[TextCase]


@dataclass
class HtmlScore:
    system: str
    precision: float
    recall: float
    f1: float
    errors: int
    empty: int
    with_found: float | None  # share of `with` snippets found, pooled over pages
    without_absent: float | None
    pages_per_s: float
    f1_by_page: dict[str, float]


@dataclass
class TextScore:
    system: str
    per_label: dict[str, tuple[float, float, float, int]]  # precision, recall, F1, support
    macro_f1: float
    failures: int
    paragraphs_per_s: float | None


# A dataset's scores: HTML mode's word-F1, text mode's labels, HTML mode's labels (parasift's).
Results = tuple[Dataset, list[HtmlScore], list[TextScore], dict[str, Any] | None]


# ---------------------------------------------------------------- data

def _snippets(truth: dict[str, Any]) -> dict[str, list[str]]:
    return {"with_snippets": truth.get("with") or [],
            "without_snippets": truth.get("without") or []}


def wcxb_dataset(data: Path, limit: int | None) -> Dataset:
    """Held-out wcxb-dev pages and labelled documents: domains the model never trained on."""
    root = data / "wcxb-dev"
    held_out = load_corpus([data]).part(held_out=True)  # the split training uses
    pages = []
    for page in held_out.pages[:limit]:
        truth = json.loads((root / "ground-truth" / f"{page.id}.json").read_text())
        pages.append(HtmlCase(page.id, page.html(), page.main_content,
                              **_snippets(truth["ground_truth"])))
    docs = [TextCase(example.id, example.document.texts, example.labels, example.page)
            for example in held_out.labelled[:limit]]
    return Dataset("wcxb-dev held-out", "wcxb-dev pages and labelled documents from held-out "
                   "domains (never trained on)", pages, docs)


def independent_dataset(folder: Path, limit: int | None) -> Dataset | None:
    """The independent set, if another helper has built it; pages without truth are skipped.
    Pages that ``labels.jsonl`` labels give text-mode documents too."""
    if not (folder / "pages").is_dir():
        return None
    labels_file = folder / "labels.jsonl"
    labelled = {doc["id"]: doc for _, doc in read_labelled(labels_file)} \
        if labels_file.exists() else {}
    pages, docs, sources, languages = [], [], Counter(), Counter()
    for path in sorted((folder / "pages").glob("*.html"))[:limit]:
        truth_path = folder / "truth" / f"{path.stem}.json"
        if not truth_path.exists():
            continue
        truth = json.loads(truth_path.read_text())
        language = truth.get("language") or "en"
        pages.append(HtmlCase(path.stem, path.read_bytes(), truth["main_content"],
                              **_snippets(truth), language=language))
        sources[truth.get("source", "?").split("@")[0]] += 1
        languages[language] += 1
        if path.stem in labelled:
            page = Page(path.stem, "", path, truth["main_content"], "")
            doc = labelled[path.stem]
            docs.append(TextCase(path.stem, labelled_window(page, doc, labels_file),
                                 doc["labels"], page, language))
    description = (f"pages not from ../shared, in `{_shown(folder)}`; sources: "
                   f"{_counts(sources)}; languages: {_counts(languages)}")
    return Dataset("independent", description, pages, docs)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counter.most_common())


def _shown(path: Path) -> Path:
    """A path as the reader would type it from the repository."""
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


# ---------------------------------------------------------------- running

def _timed(function: Callable[..., Any], arguments: tuple) -> tuple[Any, float]:
    """The call's result (None if it raised: a crashing extractor is a failed page) and seconds."""
    started = time.perf_counter()
    try:
        result = function(*arguments)
    except Exception:
        result = None
    return result, time.perf_counter() - started


def _snippet_share(texts: Sequence[str], cases: Sequence[HtmlCase], wanted: bool) -> float | None:
    # Whitespace-normalised, case-sensitive containment, as trafilatura's evaluation checks them.
    hits = total = 0
    for text, case in zip(texts, cases, strict=True):
        flat = " ".join(text.split())
        for snippet in case.with_snippets if wanted else case.without_snippets:
            total += 1
            hits += (" ".join(snippet.split()) in flat) == wanted
    return hits / total if total else None


def timed_each(function: Callable[..., Any],
               inputs: list[tuple]) -> tuple[list[Any], list[float]]:
    """``function``'s output for each tuple of arguments (None where it raised) and its seconds,
    after one untimed warm-up call on the first: lazy imports and caches are not per-input
    cost."""
    _timed(function, inputs[0])
    found = [_timed(function, item) for item in inputs]
    return [output for output, _ in found], [seconds for _, seconds in found]


def run_html(extract: HtmlExtractor, cases: list[HtmlCase]) -> tuple[list[str | None], list[float]]:
    """Each page's text (None where the extractor raised) and its seconds."""
    return timed_each(extract, [(case.html, case.language) for case in cases])


def run_html_batches(extract: BatchExtractor, cases: list[HtmlCase],
                     size: int) -> tuple[list[str | None], list[float]]:
    """``run_html`` for an extractor that takes ``size`` pages per call: seconds per call."""
    chunks = [cases[start:start + size] for start in range(0, len(cases), size)]
    found, seconds = timed_each(extract, [([case.html for case in chunk],) for chunk in chunks])
    texts = [text for chunk, chunk_texts in zip(chunks, found, strict=True)
             for text in (chunk_texts if chunk_texts is not None else [None] * len(chunk))]
    return texts, seconds


Run = Callable[[], tuple[list[Any], list[float]]]


def in_rounds(runs: dict[str, Run], rounds: int) -> dict[str, tuple[list[Any], float]]:
    """Each system's output (from its first round) and its seconds in all: for each page (or
    call) the median over ``rounds`` runs, summed. The systems take turns round by round, so
    that a slow spell of a shared machine falls on all of them alike rather than on whichever
    ran at the time; outputs are deterministic, only the timing is repeated."""
    outputs: dict[str, list[Any]] = {}
    seconds: dict[str, list[list[float]]] = {system: [] for system in runs}
    for _ in range(rounds):
        for system, run in runs.items():
            output, times = run()
            outputs.setdefault(system, output)
            seconds[system].append(times)
    return {system: (outputs[system], float(np.median(seconds[system], axis=0).sum()))
            for system in runs}


def html_score(system: str, found: list[str | None], seconds: float,
               cases: list[HtmlCase]) -> HtmlScore:
    """Scores of the texts a system found (None where it failed) in ``seconds`` in all."""
    texts = [text or "" for text in found]
    scores = [word_prf(text, case.reference) for text, case in zip(texts, cases, strict=True)]
    errors = sum(text is None for text in found)
    return HtmlScore(
        system=system,
        precision=sum(s[0] for s in scores) / len(scores),
        recall=sum(s[1] for s in scores) / len(scores),
        f1=sum(s[2] for s in scores) / len(scores),
        errors=errors,
        empty=sum(not text.strip() for text in texts) - errors,
        with_found=_snippet_share(texts, cases, wanted=True),
        without_absent=_snippet_share(texts, cases, wanted=False),
        pages_per_s=len(cases) / seconds,
        f1_by_page={case.id: round(s[2], 4) for case, s in zip(cases, scores, strict=True)},
    )


def run_text(label: Labeller, docs: list[TextCase]) -> tuple[list[list[str] | None], list[float]]:
    """Each document's labels (None where the labeller raised) and its seconds."""
    return timed_each(label, [(doc.paragraphs, doc.language) for doc in docs])


def text_score(system: str, found: list[list[str] | None], seconds: float,
               docs: list[TextCase]) -> TextScore:
    truth, predicted, failures = [], [], 0
    for labels, doc in zip(found, docs, strict=True):
        if labels is None or len(labels) != len(doc.paragraphs):
            failures += 1
            labels = ["failed"] * len(doc.paragraphs)  # wrong for every true label
        truth += doc.labels
        predicted += labels
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=list(LABELS), zero_division=0)
    return TextScore(
        system=system,
        per_label={name: (float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
                   for i, name in enumerate(LABELS)},
        macro_f1=float(f1_score(truth, predicted, labels=list(LABELS), average="macro",
                                zero_division=0)),
        failures=failures,
        paragraphs_per_s=None if system == BASELINE else len(truth) / seconds,
    )


def load_parasift() -> tuple[Any | None, str]:
    """The shipped model, loaded before any timing; None (and why) when it is not there yet."""
    try:
        from classifier import default_model
        model = default_model()
    except Exception as error:
        return None, f"not run: the default model could not be loaded ({error})"
    info = model.info
    return model, (f"{info.get('name', '?')} {info.get('version', '?')}, "
                   f"sha256 {str(info.get('sha256', '?'))[:12]}")


def run_dataset(dataset: Dataset, model: Any | None,
                rounds: int) -> tuple[list[HtmlScore], list[TextScore], dict[str, Any] | None]:
    html_systems = ({"parasift": parasift_html(model)} if model else {}) | COMPETITORS
    text_systems = ({"parasift": parasift_labels(model)} if model else {}) | {
        "jusText": justext_labels, BASELINE: keep_everything}
    html_scores, text_scores = [], []
    if dataset.pages:
        runs: dict[str, Run] = {system: partial(run_html, extract, dataset.pages)
                                for system, extract in html_systems.items()}
        if model:
            runs[BATCHED] = partial(run_html_batches, parasift_html_batches(model),
                                    dataset.pages, BATCH)
        for system, (texts, seconds) in in_rounds(runs, rounds).items():
            html_scores.append(html_score(system, texts, seconds, dataset.pages))
            _html_progress(dataset, html_scores[-1])
        if model:  # the batched row goes beside parasift's own
            html_scores.insert(1, html_scores.pop())
    if dataset.docs:
        runs = {system: partial(run_text, label, dataset.docs)
                for system, label in text_systems.items()}
        for system, (labels, seconds) in in_rounds(runs, rounds).items():
            text_scores.append(text_score(system, labels, seconds, dataset.docs))
            _progress(f"{dataset.name} text {system}: macro-F1 {text_scores[-1].macro_f1:.3f}")
    labels = html_labels(model, dataset.docs) if model else None
    if labels:
        _progress(f"{dataset.name} html labels parasift: macro-F1 {labels['macro_f1']:.3f}")
    return html_scores, text_scores, labels


def html_labels(model: Any, docs: list[TextCase]) -> dict[str, Any] | None:
    """parasift's three labels in HTML mode: each labelled document's page cut into blocks and
    labelled, scored on the blocks whose text lines up with a labelled paragraph
    (``classifier.evaluation.evaluate_html_labels``). The other systems label no appeals."""
    examples = [Labelled(from_paragraphs(doc.paragraphs), doc.labels, doc.page)
                for doc in docs if doc.page]
    if not examples:
        return None
    return evaluate_html_labels(model, examples)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _html_progress(dataset: Dataset, score: HtmlScore) -> None:
    _progress(f"{dataset.name} html {score.system}: F1 {score.f1:.3f}, "
              f"{score.pages_per_s:.1f} pages/s")


# ---------------------------------------------------------------- reporting

def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _best(value: float, values: list[float]) -> str:
    """Three decimals, bold where it is the table's best."""
    return f"**{value:.3f}**" if value == max(values) else f"{value:.3f}"


def _speedup(score: HtmlScore, scores: list[HtmlScore]) -> str:
    # The goal is stated against trafilatura's speed in the same run.
    reference = next((s.pages_per_s for s in scores if s.system == "trafilatura"), None)
    return f"{score.pages_per_s / reference:.2f}×" if reference else "—"


def html_table(scores: list[HtmlScore]) -> str:
    best = [s.f1 for s in scores]
    headers = ["system", "version", "word P", "word R", "word F1", "failed (error/empty)",
               "`with` found", "`without` absent", "pages/s", "speed vs trafilatura"]
    rows = [[s.system, version_of(s.system), f"{s.precision:.3f}", f"{s.recall:.3f}",
             _best(s.f1, best), f"{s.errors + s.empty} ({s.errors}/{s.empty})",
             _share(s.with_found), _share(s.without_absent), f"{s.pages_per_s:.1f}",
             _speedup(s, scores)]
            for s in scores]
    return _table(headers, rows)


def against(score: HtmlScore, reference: HtmlScore,
            resamples: int = 10_000) -> tuple[float, float, float, int, int]:
    """``score`` page by page against ``reference`` on the same pages: the mean difference of
    word-F1, its 95% interval by bootstrap over pages (seeded, so the report is reproducible),
    and the pages it does better and worse on."""
    difference = np.array([score.f1_by_page[page] - f1
                           for page, f1 in reference.f1_by_page.items()])
    samples = np.random.default_rng(0).integers(0, len(difference), (resamples, len(difference)))
    low, high = np.percentile(difference[samples].mean(axis=1), [2.5, 97.5])
    return (float(difference.mean()), float(low), float(high), int((difference > 0).sum()),
            int((difference < 0).sum()))


def paired_table(scores: list[HtmlScore], reference: str = "trafilatura") -> str:
    base = next((s for s in scores if s.system == reference), None)
    if base is None:
        return ""
    headers = ["system", f"mean word-F1 minus {reference}'s", "95% interval (bootstrap)",
               "pages better", "pages worse"]
    rows = []
    for score in scores:
        if score is not base:
            mean, low, high, better, worse = against(score, base)
            rows.append([score.system, f"{mean:+.4f}", f"{low:+.4f} to {high:+.4f}",
                         str(better), str(worse)])
    return _table(headers, rows)


def text_table(scores: list[TextScore]) -> str:
    best = [s.macro_f1 for s in scores]
    headers = ["system", *(f"{label} P / R / F1" for label in LABELS), "macro-F1",
               "paragraphs/s"]
    rows = [[s.system,
             *(" / ".join(f"{v:.3f}" for v in s.per_label[label][:3]) for label in LABELS),
             _best(s.macro_f1, best),
             "—" if s.paragraphs_per_s is None else f"{s.paragraphs_per_s:,.0f}"]
            for s in scores]
    return _table(headers, rows)


def _machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines
                if line.startswith("model name")), platform.processor() or "?")
    # Other work on the machine slows every system; the load average says how quiet it was.
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"{os.cpu_count()} cores (nproc), {cpu}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; load average before the run {load}")


def command_line(argv: Sequence[str]) -> str:
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else \
        sys.executable
    return shlex.join([python, "-m", "bench.accuracy", *argv])


def _dataset_section(dataset: Dataset, html: list[HtmlScore], text: list[TextScore],
                     labels: dict[str, Any] | None) -> str:
    parts = [f"## {dataset.name}\n\n{dataset.description}.\n"]
    if html:
        parts.append(f"### HTML mode: {len(dataset.pages)} pages\n\n{html_table(html)}\n")
        paired = paired_table(html)
        if paired:
            parts.append("Page by page against trafilatura (an interval that spans 0 is no "
                         f"measured difference):\n\n{paired}\n")
    if text:
        count = sum(len(doc.paragraphs) for doc in dataset.docs)
        parts.append(f"### Text mode: {len(dataset.docs)} labelled documents, {count:,} "
                     f"paragraphs\n\n{text_table(text)}\n")
    if labels:
        per_label = {label: tuple(labels["labels"][label][key]
                                  for key in ("precision", "recall", "f1", "support"))
                     for label in LABELS}
        score = TextScore("parasift", per_label, labels["macro_f1"], 0, None)
        parts.append(f"### HTML mode, three labels: {labels['blocks']:,} blocks of "
                     f"{labels['pages']} pages (those that line up with a labelled paragraph)"
                     f"\n\n{text_table([score])}\n")
    return "\n".join(parts)


NOTES = r"""## How this is measured
- Word P/R/F1: `classifier.textmetrics.word_prf` (bag of words, lower-cased) of each system's text
  against the reference `main_content`, averaged over pages. A page where a system raises or returns
  nothing scores 0 and is counted under *failed*.
- `with` found / `without` absent: the WCXB snippets, whitespace-normalised, case-sensitive
  containment, pooled over all pages that have them.
- Speed: one process, one thread (BLAS limited to 1), pages already in memory as bytes; only the
  extraction call is timed, after one untimed warm-up call; parasift's model is loaded before
  timing. Every system runs `--rounds` times (default 3), the systems taking turns round by
  round; a page's time is its median over the rounds (for the batched row, a call's), so that
  a slow spell of this shared machine falls on all systems alike.
- Settings: trafilatura `extract(html, include_comments=False, include_tables=True,
  favor_precision=False)`; readability-lxml `Document(html).summary()` then its text (line breaks
  kept between blocks); jusText's non-boilerplate paragraphs, with the stoplist of the page's
  language (wcxb-dev pages: English; independent pages: the language in their truth file; for
  Chinese and Japanese, which it has no stoplist for, its language-independent settings);
  boilerpy3 `ArticleExtractor`; resiliparse `extract_plain_text(main_content=True)`; parasift
  `classify({"html": ...})["body_text"]`, and in the batched row
  `classify_many([{"html": ...}, ...])` on 20 pages per call (timed per call, as a worker runs a
  `parasift.classify_batch` task); its texts are scored like the others'.
- Word-F1 splits text into `\w+` runs, so an unspaced Chinese or Japanese sentence counts as one
  word: on those pages the figure is coarse for every system.
- Text mode: each system labels the given paragraphs. jusText gets each paragraph wrapped in `<p>`:
  good -> body, everything else -> cruft (it has no appeal label, so its appeal F1 is 0 and counts
  in its macro-F1). *keep everything* labels every paragraph body. Macro-F1 over the three labels
  (scikit-learn).
"""


def report(datasets: list[Results], header: str) -> str:
    sections = [_dataset_section(*entry) for entry in datasets]
    return "\n".join([header, *sections, NOTES])


def report_header(argv: Sequence[str], data: Path, machine: str, notes: list[str]) -> str:
    lines = [
        "# parasift accuracy and speed, side by side",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine}",
        f"- Command: `{command_line(argv)}`",
        f"- Data: `{data}` (WCXB dev split, CC-BY-4.0; labelled paragraphs "
        "`labeled/wcxb-dev.jsonl`); held out = domains `classifier.corpus.is_held_out` keeps out "
        "of training",
        *(f"- {note}" for note in notes),
        "",
    ]
    return "\n".join(lines)


def chart(results: list[Results], path: Path) -> None:
    """Word-F1 and pages/s per system, one bar per dataset within each system's group."""
    import matplotlib
    matplotlib.use("Agg")  # no display needed, and none on CI
    import matplotlib.pyplot as plt

    runs = [(dataset.name, scores) for dataset, scores, *_ in results if scores]
    systems = list(dict.fromkeys(score.system for _, scores in runs for score in scores))
    width = 0.8 / len(runs)
    figure, (f1_axis, speed_axis) = plt.subplots(1, 2, figsize=(12, 4.8))
    for offset, (name, scores) in enumerate(runs):
        by_system = {score.system: score for score in scores}
        xs = [i + (offset - (len(runs) - 1) / 2) * width for i in range(len(systems))]
        f1 = [by_system[s].f1 if s in by_system else 0 for s in systems]
        speed = [by_system[s].pages_per_s if s in by_system else 0 for s in systems]
        bars = f1_axis.bar(xs, f1, width, label=f"{name} ({len(scores[0].f1_by_page)} pages)")
        f1_axis.bar_label(bars, fmt="%.3f", fontsize=7)
        bars = speed_axis.bar(xs, speed, width)
        speed_axis.bar_label(bars, fmt="%.0f", fontsize=7)
    for axis, title in ((f1_axis, "mean word-level F1 (higher is better)"),
                        (speed_axis, "pages/s, one core")):
        # Names end at their bar, so a long one (the batched row) leaves its neighbour alone.
        axis.set_xticks(range(len(systems)), systems, rotation=25, ha="right")
        axis.set_title(title)
    f1_axis.set_ylim(0, 1.05)
    # One legend for both panels, below them, where it cannot cover a bar.
    figure.legend(loc="lower center", ncol=len(runs), fontsize=9)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _json_ready(results: list[Results]) -> dict:
    return {dataset.name: {"pages": len(dataset.pages), "docs": [doc.id for doc in dataset.docs],
                           "html": [asdict(s) for s in html], "text": [asdict(s) for s in text],
                           "html_labels": labels}
            for dataset, html, text, labels in results}


# ---------------------------------------------------------------- command line

def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data",
                        help="the shared data folder (default: ../shared/data)")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first N pages and N documents of each set")
    parser.add_argument("--independent", type=Path, default=REPO / "bench" / "independent",
                        help="independent set folder (default: bench/independent)")
    parser.add_argument("--rounds", type=_at_least_one, default=3,
                        help="timed runs of every system, taking turns; each page's median "
                             "counts (default: 3)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results are written")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if not (args.data / "wcxb-dev" / "metadata.json").exists():
        sys.exit(f"error: no data at {args.data} (expected wcxb-dev/metadata.json there); "
                 "the benchmark needs ../shared/data, or pass --data DIR")
    # boilerpy3 logs a traceback for every page it cannot parse; the table counts those failures.
    logging.getLogger("boilerpy3").setLevel(logging.CRITICAL)
    machine = _machine()
    model, model_note = load_parasift()
    notes = [f"parasift model: {model_note}"]
    datasets = [wcxb_dataset(args.data, args.limit)]
    independent = independent_dataset(args.independent.resolve(), args.limit)
    if independent and independent.pages:
        datasets.append(independent)
    else:
        notes.append(f"Independent set: not run (no pages with truth in "
                     f"{_shown(args.independent.resolve())})")
    _progress("\n".join(notes))
    with threadpool_limits(limits=1):  # one core for every system, BLAS included
        results = [(dataset, *run_dataset(dataset, model, args.rounds))
                   for dataset in datasets]
    markdown = report(results, report_header(argv, args.data, machine, notes))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "accuracy.md").write_text(markdown)
    (args.out / "accuracy.json").write_text(json.dumps(_json_ready(results), indent=1))
    chart(results, args.out / "accuracy.png")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
