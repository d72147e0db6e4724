"""Job messages from files, for `parasift submit` and the demo: the file's kind is its suffix.

.html/.htm is an ``html`` job, .txt (and anything else) a ``text`` job, .json a job message or a
list of paragraphs, .jsonl one job message per line. A job without an id gets the file's name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _json_jobs(value: Any, name: str) -> list[dict[str, Any]]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [{"id": name, "paragraphs": value}]
    if isinstance(value, dict):
        return [{"id": name, **value}] if value.get("id") is None else [value]
    raise ValueError(f"{name}: expected a job object or a list of paragraphs")


def jobs_from_file(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        data = path.read_bytes()
        try:
            return [{"id": path.name, "html": data.decode("utf-8")}]
        except UnicodeDecodeError:  # another charset: the worker reads the page's own meta tag
            return [{"id": path.name, "html": data}]
    if suffix == ".json":
        return _json_jobs(json.loads(path.read_text(encoding="utf-8")), path.name)
    if suffix == ".jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        return [job for number, line in enumerate(lines, 1) if line.strip()
                for job in _json_jobs(json.loads(line), f"{path.name}:{number}")]
    return [{"id": path.name, "text": path.read_text(encoding="utf-8")}]


EXAMPLES = Path(__file__).parent / "examples"


def example_jobs() -> list[dict[str, Any]]:
    """The example articles shipped for the demo: one HTML page, one text, one paragraphs job."""
    return [job for path in sorted(EXAMPLES.iterdir()) for job in jobs_from_file(path)]
