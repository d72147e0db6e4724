"""Job messages from files, for `parasift submit` and the demo: the file's kind is its suffix.

.html/.htm is an ``html`` job, .txt (and anything else) a ``text`` job, .json a job message or a
list of paragraphs, .jsonl one job message per line. A job without an id gets the file's name.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any


def _json_jobs(value: Any, name: str) -> list[dict[str, Any]]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [{"id": name, "paragraphs": value}]
    if isinstance(value, dict):
        return [{"id": name, **value}] if value.get("id") is None else [value]
    raise ValueError(f"{name}: expected a job object or a list of paragraphs")


def _text_or_bytes(data: bytes) -> str | bytes:
    """UTF-8 as a string; anything else as the bytes, which the worker decodes by their BOM,
    the charset a page declares, or cp1252 (classifier.charsets)."""
    try:
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        return data


def _json_lines(data: bytes, name: str) -> list[dict[str, Any]]:
    # Split on line ends alone: str.splitlines also splits at U+2028, which a JSON string may
    # hold as it is.
    return [job for number, line in enumerate(data.splitlines(), 1) if line.strip()
            for job in _json_jobs(_json_value(line, f"{name}:{number}"), f"{name}:{number}")]


def _json_value(data: bytes, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    # ValueError: also an integer of over 4,300 digits; RecursionError: arrays nested deep
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{name}: not a JSON job in UTF-8 ({error})") from error


def jobs_from_file(path: str | Path) -> list[dict[str, Any]]:
    """The jobs in one file; ``OSError`` if it cannot be read, ``ValueError`` (naming the file
    and line) if it holds no job of its kind."""
    path = Path(path)
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix in (".html", ".htm"):
        return [{"id": path.name, "html": _text_or_bytes(data)}]
    if suffix == ".json":
        return _json_jobs(_json_value(data.removeprefix(codecs.BOM_UTF8), path.name), path.name)
    if suffix == ".jsonl":
        return _json_lines(data.removeprefix(codecs.BOM_UTF8), path.name)
    return [{"id": path.name, "text": _text_or_bytes(data)}]


EXAMPLES = Path(__file__).parent / "examples"


def example_jobs() -> list[dict[str, Any]]:
    """The example articles shipped for the demo: one HTML page, one text, one paragraphs job."""
    return [job for path in sorted(EXAMPLES.iterdir()) for job in jobs_from_file(path)]
