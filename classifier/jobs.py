"""The job message in, the result message out: ../shared/DESIGN.md's one contract.

``read_job`` turns whatever a producer sent into a validated ``Job``; every way a message can be
wrong ends in ``InvalidInput`` with a code, which ``error_result`` turns into the error message.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from classifier import charsets
from classifier.documents import Document, from_paragraphs, from_text, without_surrogates
from classifier.errors import InvalidInput
from classifier.htmlblocks import from_html
from classifier.limits import Limits

INPUT_KINDS = ("text", "html", "paragraphs")
LABELS = ("body", "appeal", "cruft")


def missing_labels(found: Iterable[str]) -> list[str]:
    """The ``LABELS`` that are not among ``found``: a model must learn each of them."""
    found = set(found)
    return [label for label in LABELS if label not in found]


@dataclass
class Job:
    id: str | None
    kind: str
    content: str | bytes | list[str]
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def document(self, max_blocks: int | None = None) -> Document:
        """The job's document; more than ``max_blocks`` blocks cut from its text or HTML is a
        ``too_large`` error (``read_job`` counts given paragraphs)."""
        if self.kind == "html":
            return from_html(self.content, max_blocks)
        if self.kind == "paragraphs":
            return from_paragraphs(self.content)
        return from_text(charsets.decode(self.content) if isinstance(self.content, bytes)
                         else self.content, max_blocks)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")  # Python's json reads NaN and Infinity


def decode_message(message: Any) -> Any:
    """A message as JSON values: JSON text or UTF-8 bytes parsed, anything else as it is."""
    if isinstance(message, (bytes, bytearray)):
        try:
            # RFC 8259 lets a parser ignore a byte-order mark, and editors write one.
            message = bytes(message).removeprefix(codecs.BOM_UTF8).decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput(f"job is not valid UTF-8: {error}", code="undecodable") from error
    if isinstance(message, str):
        try:
            return json.loads(message, parse_constant=_refuse_constant)
        # ValueError: also an integer of over 4,300 digits; RecursionError: arrays nested
        # thousands deep.
        except (ValueError, RecursionError) as error:
            raise InvalidInput(f"job is not valid JSON: {error}", code="malformed_json") from error
    return message


def _size_of(content: str | bytes | list[str]) -> int:
    if isinstance(content, list):
        return sum(len(item.encode("utf-8", "surrogatepass")) for item in content)
    if isinstance(content, str):
        return len(content.encode("utf-8", "surrogatepass"))
    return len(content)


def _content_of(kind: str, value: Any) -> str | bytes | list[str]:
    if kind == "paragraphs":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InvalidInput("paragraphs must be a list of strings", code="wrong_type")
        return value
    if isinstance(value, (bytes, bytearray)):  # a file's bytes, in-process: decoded as it says
        return bytes(value)
    if not isinstance(value, str):
        raise InvalidInput(f"{kind} must be a string", code="wrong_type")
    return value


def read_job(message: Any, limits: Limits | None = None) -> Job:
    """Validate one job message (a dict, or its JSON text) and return it as a ``Job``."""
    limits = limits or Limits.from_env()
    message = decode_message(message)
    if not isinstance(message, dict):
        raise InvalidInput("job must be a JSON object", code="wrong_type")
    kinds = [kind for kind in INPUT_KINDS if message.get(kind) is not None]
    if len(kinds) != 1:
        found = ", ".join(kinds) or "none"
        raise InvalidInput(
            f"job needs exactly one of text, html, paragraphs (found: {found})", code="no_input"
            if not kinds else "ambiguous_input",
        )
    kind = kinds[0]
    content = _content_of(kind, message[kind])
    size = _size_of(content)
    if size > limits.max_bytes:
        raise InvalidInput(f"{kind} is {size} bytes, over the limit of {limits.max_bytes}",
                           code="too_large")
    if kind == "paragraphs":
        if len(content) > limits.max_paragraphs:
            raise InvalidInput(f"{len(content)} paragraphs, over the limit of "
                               f"{limits.max_paragraphs}", code="too_large")
        if not content:
            raise InvalidInput("paragraphs is empty", code="empty_input")
    job_id, url, meta = message.get("id"), message.get("url"), message.get("meta")
    meta = {} if meta is None else meta  # null is as good as leaving it out
    id_text = _id_text(job_id)
    # Echoed into the result, so they must be writable as UTF-8: a lone surrogate is not.
    if job_id is not None and id_text is None:
        raise InvalidInput("id must be a string of valid Unicode or an integer",
                           code="wrong_type")
    if url is not None and not _is_unicode(url):
        raise InvalidInput("url must be a string of valid Unicode", code="wrong_type")
    if not isinstance(meta, dict):
        raise InvalidInput("meta must be an object", code="wrong_type")
    try:  # it must stay JSON too (a dict from Python may hold NaN)
        json.dumps(meta, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as error:
        raise InvalidInput(f"meta must hold JSON values only: {error}", code="wrong_type") \
            from error
    return Job(id=id_text, kind=kind, content=content, url=url, meta=meta)


def _is_unicode(value: Any) -> bool:
    return isinstance(value, str) and without_surrogates(value) == value


def _id_text(value: Any) -> str | None:
    """``value`` as the id a result carries, or None when it is no id."""
    # JSON Schema's "integer" (job.schema.json) takes 7.0 too; Python writes an integer of over
    # 4,300 digits as no string at all.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if _is_unicode(value) or (
            isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10 ** 1000):
        return str(value)
    return None


def job_id_of(message: Any) -> str | None:
    """The id of a message, as far as it can be read, for error results of unreadable jobs."""
    try:
        message = decode_message(message)
    except InvalidInput:
        return None
    return _id_text(message.get("id")) if isinstance(message, dict) else None


def error_result(job_id: str | None, error: InvalidInput) -> dict[str, Any]:
    return {"id": job_id, "status": "error",
            "error": {"code": error.code, "message": error.message}}
