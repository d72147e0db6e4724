"""Results for people: a table of labelled paragraphs, or one summary line per result."""

from __future__ import annotations

import shutil
from typing import Any


def summary(result: dict[str, Any]) -> str:
    if result.get("status") != "ok":
        error = result.get("error") or {}
        return f"{result.get('id')}  error  {error.get('code')}: {error.get('message')}"
    counts = "  ".join(f"{label} {count}" for label, count in result["counts"].items())
    return f"{result.get('id')}  ok  {counts}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(result: dict[str, Any], width: int | None = None) -> str:
    """The result's paragraphs, one line each: index, label, confidence, start of the text."""
    width = width or shutil.get_terminal_size((110, 24)).columns
    lines = [summary(result)]
    if result.get("status") == "ok":
        lines.append(f"{'#':>4}  {'label':<6}  conf  text")
        lines += [f"{p['index']:>4}  {p['label']:<6}  {p['confidence']:.2f}  "
                  f"{_clip(p['text'], max(20, width - 22))}" for p in result["paragraphs"]]
    return "\n".join(lines)
