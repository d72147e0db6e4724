"""``parasift label | train | evaluate``: the classifier from the command line.

Heavy imports happen inside the commands, so ``parasift submit`` stays quick and producers'
machines need no scikit-learn.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import errno
import functools
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from classifier import charsets
from classifier.errors import InvalidInput, ModelIntegrityError, SettingError
from classifier.limits import Limits

_TEXT_WIDTH = 90
JSON_ESCAPE = 6  # a UTF-8 byte of a job's text takes at most six in JSON (a \u escape)
JOBS_PER_CALL = 32  # jobs of a .jsonl file scored together (see classifier.classify_many)
HELD_OUT_RULE = "domains whose sha256(domain)[0] % 4 == 0 (classifier.corpus.is_held_out)"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the classifier's commands to the ``parasift`` command line."""
    label = subparsers.add_parser(
        "label", help="label the paragraphs of a .txt, .html, .json or .jsonl file, or stdin")
    label.add_argument("file", help="a .txt/.html file, a .json job message, a .jsonl file of "
                                    "job messages, or -")
    label.add_argument("--json", action="store_true", help="print the result message as JSON")
    label.add_argument("--as", dest="kind", choices=["text", "html", "job", "jobs"],
                       help="input kind, when the file name does not tell")
    label.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    label.set_defaults(func=_reported(_label))

    train = subparsers.add_parser("train", help="train a model on labelled corpora")
    train.add_argument("corpus", nargs="+", type=Path,
                       help="labelled .jsonl files, or folders laid out like ../shared/data")
    train.add_argument("-o", "--output", type=Path, required=True, help="model folder to write")
    train.add_argument("--all", action="store_true",
                       help="train on every domain (default: keep the held-out domains out)")
    train.add_argument("--name", default="parasift-default", help="model name in the manifest")
    train.add_argument("--version", default=time.strftime("%Y.%m.%d"))
    train.set_defaults(func=_reported(_train))

    evaluate = subparsers.add_parser("evaluate", help="score a model on labelled corpora")
    evaluate.add_argument("corpus", nargs="+", type=Path)
    evaluate.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    evaluate.add_argument("--all", action="store_true",
                          help="score every domain (default: only the held-out domains)")
    evaluate.add_argument("--plot", type=Path, default=Path("confusion.png"),
                          help="where to write the confusion-matrix PNG "
                               "(default: confusion.png in the current folder)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.set_defaults(func=_reported(_evaluate))


def _reported(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Bad data, a model that must not be used, a bad setting or a file that cannot be read or
    written end the command with one line on stderr and exit status 1, not a traceback."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (InvalidInput, ModelIntegrityError, SettingError) as error:
            print(f"parasift {command.__name__[1:]}: {error}", file=sys.stderr)
        except BrokenPipeError:
            raise  # the reader of stdout went away: see worker.cli.main
        except OSError as error:
            reason = error.strerror or error
            print(f"parasift {command.__name__[1:]}: "
                  + (f"{error.filename}: {reason}" if error.filename else f"{reason}"),
                  file=sys.stderr)
        return 1

    return run


_KINDS = {".jsonl": "jobs", ".json": "job", ".html": "html", ".htm": "html", ".xhtml": "html",
          ".txt": "text", ".text": "text", ".md": "text"}


def _kind_by_name(name: str) -> str | None:
    return _KINDS.get(Path(name).suffix.lower())


def _input_kind(name: str, content: bytes) -> str:
    """A file's kind by its suffix; any other name (stdin, .php, none) is HTML when it starts
    like markup."""
    return _kind_by_name(name) or (
        "html" if charsets.decode(content[:1024]).lstrip().startswith("<") else "text")


def _opened(name: str) -> contextlib.AbstractContextManager[BinaryIO]:
    """The file, or stdin for "-", to read as bytes: a page says its own charset, which the
    classifier reads (see classifier.charsets); decoding here first would garble it."""
    if name != "-":
        return open(name, "rb")
    if sys.stdin is None:
        raise OSError(errno.EBADF, "stdin is closed", name)
    return contextlib.nullcontext(sys.stdin.buffer)


def _job_lines(stream: BinaryIO, most: int) -> Iterator[bytes | None]:
    """The lines of a JSON Lines stream, blank ones too, so that result N answers line N; None
    for a line over ``most`` bytes, which is read past, not kept. Lines end at \n, \r\n or
    \r alone: ``str.splitlines`` would also cut at U+2028, which a JSON string may hold."""
    line = stream.readline(most + 1)
    if line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidInput("jobs must be UTF-8 JSON Lines; this is UTF-16")
    line = line.removeprefix(codecs.BOM_UTF8)
    while line:
        if len(line) > most and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(most + 1)
            yield None
        else:
            yield from line.splitlines()
        line = stream.readline(most + 1)


def _label_lines(stream: BinaryIO, most: int, model: Any) -> None:
    from classifier.jobs import error_result
    from classifier.labeling import classify_many

    too_long = error_result(None, InvalidInput(
        f"a line of over {most} bytes, more than any job within PARASIFT_MAX_BYTES",
        code="too_large"))
    lines = _job_lines(stream, most)
    while chunk := list(itertools.islice(lines, JOBS_PER_CALL)):
        # classify() parses each line, so a broken one becomes an error result in its place
        answers = iter(classify_many([line for line in chunk if line is not None], model))
        for line in chunk:
            print(json.dumps(too_long if line is None else next(answers), ensure_ascii=False))


def _print_table(result: dict[str, Any], out: TextIO) -> None:
    if result["status"] != "ok":
        return
    for paragraph in result["paragraphs"]:
        text = paragraph["text"].replace("\n", " ")
        text = text if len(text) <= _TEXT_WIDTH else text[:_TEXT_WIDTH - 1] + "…"
        out.write(f"{paragraph['index']:>4}  {paragraph['label']:<6} "
                  f"{paragraph['confidence']:.2f}  {text}\n")
    counts = ", ".join(f"{n} {label}" for label, n in result["counts"].items())
    out.write(f"\n{len(result['paragraphs'])} paragraphs: {counts}\n")


def _load(model_dir: Path | None) -> Any:
    from classifier.store import default_model, load_model

    return load_model(model_dir) if model_dir else default_model()


def _label(args: argparse.Namespace) -> int:
    from classifier.labeling import classify

    # A job is refused beyond its size limit, so no more of one is read than could fit in it:
    # its text at up to six bytes a byte in JSON, and as much again for id, url and meta.
    most = (JSON_ESCAPE + 1) * Limits.from_env().max_bytes + 4096
    jobs = (args.kind or _kind_by_name(args.file)) == "jobs"
    try:
        opened = _opened(args.file)
    except OSError as error:
        print(f"parasift label: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    with opened as stream:
        if jobs:
            _label_lines(stream, most, _load(args.model))
            return 0
        content = stream.read(most + 1)
    if len(content) > most:
        raise InvalidInput(f"{args.file} is over {most} bytes, more than any job within "
                           f"PARASIFT_MAX_BYTES", code="too_large")
    model = _load(args.model)
    kind = args.kind or _input_kind(args.file, content)
    result = classify(content if kind == "job" else {kind: content}, model)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_table(result, sys.stdout)
    if result["status"] != "ok":
        print(f"parasift label: {result['error']['message']}", file=sys.stderr)
        return 1
    return 0


def _train(args: argparse.Namespace) -> int:
    from classifier.evaluation import evaluate_corpus
    from classifier.jobs import missing_labels
    from classifier.store import save_model
    from classifier.training import load_corpus, train_model

    _check_writable(args.output)  # before the minutes of training, not after
    Limits.from_env()  # read when the model is evaluated, after training
    corpus = load_corpus(args.corpus)
    training = corpus if args.all else corpus.part(held_out=False)
    if corpus.labelled and not training.labelled:
        raise InvalidInput("every labelled document is on a held-out domain; give --all to "
                           "train on them all")
    missing = missing_labels(label for ex in corpus.labelled for label in ex.labels)
    held_out_only = [label for label in missing_labels(
        label for ex in training.labelled for label in ex.labels) if label not in missing]
    if held_out_only:
        raise InvalidInput(f"only documents on held-out domains have {' or '.join(held_out_only)} "
                           f"paragraphs; give --all to train on them all")
    started = time.perf_counter()
    model = train_model(training)
    seconds = round(time.perf_counter() - started)
    metrics = {} if args.all else evaluate_corpus(model, corpus.part(held_out=True))
    if not args.all and not metrics:
        print(f"parasift train: no document or page is held out ({HELD_OUT_RULE}; documents "
              f"without a url count as domain ''), so the manifest has no metrics",
              file=sys.stderr)
    manifest = save_model(model, args.output, {
        "name": args.name, "version": args.version,
        "command": "parasift train " + " ".join(map(str, args.corpus)) + f" -o {args.output}"
                   + (" --all" if args.all else ""),
        "training_data": {"corpora": [str(path) for path in args.corpus],
                          "labelled_documents": len(training.labelled),
                          "pages": len(training.pages),
                          "held_out": "none" if args.all else HELD_OUT_RULE},
        "training_seconds": seconds, "metrics": metrics,
    })
    print(json.dumps(manifest, indent=2))
    return 0


def _check_writable(folder: Path) -> None:
    """That the model folder can be written, without making it yet (a failed run leaves none)."""
    existing = next(path for path in (folder, *folder.absolute().parents) if path.exists())
    if not existing.is_dir():
        raise InvalidInput(f"-o {folder}: {existing} is a file; give a folder for the model")
    if not os.access(existing, os.W_OK):
        raise InvalidInput(f"-o {folder}: cannot write in {existing}")


def _evaluate(args: argparse.Namespace) -> int:
    from classifier.evaluation import evaluate_corpus, plot_confusion, plot_formats
    from classifier.training import load_corpus

    Limits.from_env()  # read when the model labels, after the corpus is loaded
    if not args.plot.parent.is_dir():
        raise InvalidInput(f"--plot {args.plot}: no folder {args.plot.parent}")
    formats = plot_formats()
    if args.plot.suffix.lower().lstrip(".") not in formats:
        raise InvalidInput(f"--plot {args.plot}: name a picture file, ending in "
                           f"{', '.join('.' + name for name in sorted(formats))}")
    corpus = load_corpus(args.corpus)
    model = _load(args.model)
    scores = evaluate_corpus(model, corpus if args.all else corpus.part(held_out=True))
    if not scores:
        raise InvalidInput("nothing to score: no labelled document or page" + (
            "" if args.all else f" is held out ({HELD_OUT_RULE}; documents without a url "
                                f"count as domain ''); give --all to score them all"))
    report = {"model": model.info, **scores}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    if "text" in report:
        plot_confusion(report["text"]["confusion"], args.plot, "parasift, text mode")
        print(f"confusion matrix: {args.plot}", file=sys.stderr)
    return 0


def _print_label_scores(scores: dict[str, Any]) -> None:
    print(f"{'label':<8}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
    for label, row in scores["labels"].items():
        print(f"{label:<8}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}"
              f"{row['support']:>9}")
    print(f"macro-F1 {scores['macro_f1']:.3f}, accuracy {scores['accuracy']:.3f}")


def _print_report(report: dict[str, Any]) -> None:
    text = report.get("text")
    if text:
        print(f"text mode: {text['documents']} documents, {text['paragraphs']} paragraphs")
        _print_label_scores(text)
    labels = report.get("html_labels")
    if labels:
        print(f"html mode, hand labels carried to the blocks of {labels['pages']} pages: "
              f"{labels['blocks']} blocks")
        _print_label_scores(labels)
    html = report.get("html")
    if html:
        print(f"html mode: {html['pages']} pages, body_text word P/R/F1 "
              f"{html['word_precision']:.3f}/{html['word_recall']:.3f}/{html['word_f1']:.3f}")
