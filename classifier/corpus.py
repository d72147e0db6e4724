"""Reading the training and validation data: labelled JSONL documents and WCXB-style pages.

A corpus directory looks like ../shared/data: ``labeled/*.jsonl`` (documents of labelled
paragraphs) and ``wcxb-dev/`` (``html/<id>.html.gz`` pages, ``ground-truth/<id>.json`` reference
text, ``metadata.json``). Held-out pages are chosen by a hash of the domain, so that no site
appears on both sides and the split never changes when data is added.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from classifier.errors import InvalidInput

HELD_OUT_SHARE = 4  # one domain in four is never trained on


@dataclass
class Page:
    id: str
    domain: str
    html_path: Path
    main_content: str
    title: str

    def html(self) -> bytes:
        if self.html_path.suffix != ".gz":
            return self.html_path.read_bytes()
        try:
            with gzip.open(self.html_path) as page:
                return page.read()
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise InvalidInput(f"{self.html_path}: not a whole gzip file ({error})") from error


def is_held_out(domain: str) -> bool:
    digest = hashlib.sha256(domain.lower().removeprefix("www.").encode()).digest()
    return digest[0] % HELD_OUT_SHARE == 0


def domain_of(url: str) -> str:
    return urlparse(url).netloc.lower().removeprefix("www.")


def _json_object(path: Path, field: str) -> dict:
    """The JSON object in ``path``, which must hold the object ``field``; an ``InvalidInput``
    naming the file otherwise."""
    try:
        found = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as error:
        raise InvalidInput(f"{path}: not JSON ({error})") from error
    if not isinstance(found, dict) or not isinstance(found.get(field), dict):
        raise InvalidInput(f'{path}: needs "{field}", a JSON object')
    return found


def read_pages(root: Path) -> list[Page]:
    """Every page of a WCXB-style folder (``metadata.json``, ``html/``, ``ground-truth/``)."""
    metadata = _json_object(root / "metadata.json", "files")["files"]
    pages = []
    for page_id, info in sorted(metadata.items()):
        truth_path = root / "ground-truth" / f"{page_id}.json"
        truth = _json_object(truth_path, "ground_truth")
        reference = truth["ground_truth"]
        if not isinstance(info, dict) or not all(isinstance(value, str) for value in (
                reference.get("main_content") or "", reference.get("title") or "",
                truth.get("url") or "", info.get("domain") or "")):
            raise InvalidInput(f"{truth_path}: url, main_content and title must be strings, "
                               f"and the page's entry in metadata.json an object")
        if not reference.get("main_content"):
            continue  # nothing to align to or score against
        html_path = root / "html" / f"{page_id}.html.gz"
        if not html_path.exists():
            html_path = root / "html" / f"{page_id}.html"
        pages.append(Page(
            id=page_id,
            domain=info.get("domain") or domain_of(truth.get("url") or ""),
            html_path=html_path,
            main_content=reference["main_content"],
            title=reference.get("title") or "",
        ))
    return pages


def jsonl_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of JSON Lines data, numbered from 1, without the byte-order mark an
    editor may put first. Cut at line ends alone (\n, \r\n or \r): ``str.splitlines`` also
    cuts at U+2028, which a JSON string may hold as it is."""
    for number, line in enumerate(data.removeprefix(codecs.BOM_UTF8).splitlines(), 1):
        if line.strip():
            yield number, line


def read_labelled(path: Path) -> Iterator[tuple[int, dict]]:
    """Labelled documents, ``{"id", "url", "page", "paragraphs": [{"text", "label"}]}`` one
    JSON object a line, with their line numbers; a line that is not one is an ``InvalidInput``
    naming it."""
    for number, line in jsonl_lines(path.read_bytes()):
        try:
            doc = json.loads(line.decode("utf-8"))
        except (ValueError, RecursionError) as error:
            raise InvalidInput(f"{path}:{number}: not a JSON line in UTF-8: {error}") from error
        if not isinstance(doc, dict):
            raise InvalidInput(f"{path}:{number}: a labelled document is a JSON object")
        yield number, doc


def held_out_pages(root: Path) -> list[Page]:
    return [page for page in read_pages(root) if is_held_out(page.domain)]
