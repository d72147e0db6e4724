"""A document is the ordered list of blocks (paragraphs) that get one label each.

Blocks keep a reference to their document so that features can look at the neighbours:
boilerplate comes in runs, and a paragraph is best judged by the company it keeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from classifier.errors import InvalidInput

# A blank line: nothing but whitespace (any, such as a no-break space) between two line ends.
_BLANK_LINES = re.compile(r"\n\s*\n")
# Old Mac and Windows line ends, and Unicode's own separators of lines and paragraphs.
_LINE_ENDS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n\n"})
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(eq=False)
class Block:
    text: str
    tag: str = ""  # the block-level element that owns the text; "" for plain text
    depth: int = 0  # DOM depth of that element
    link_density: float = 0.0  # share of the text that sits inside <a>
    markup: str = ""  # space-separated tokens: ancestors' tags and class/id words
    index: int = 0
    doc: Document | None = field(default=None, repr=False)


@dataclass(eq=False)
class Document:
    blocks: list[Block]
    kind: str  # "text", "paragraphs" or "html"
    title: str = ""
    # Features computed once per document and shared by all its blocks (see classifier.shape).
    cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for index, block in enumerate(self.blocks):
            block.index = index
            block.doc = self

    def __len__(self) -> int:
        return len(self.blocks)

    @property
    def texts(self) -> list[str]:
        return [block.text for block in self.blocks]


def collapse_whitespace(text: str) -> str:
    # str.split() knows the same whitespace as the regular expression ``\s`` (both ask
    # str.isspace), at a fraction of the cost: this runs for every text node of a page.
    return " ".join(text.split())


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate (half a UTF-16 pair, as JSON's "\\ud800" gives)
    replaced by U+FFFD: no UTF-8 writer, Redis or stdout, could write it into a result."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text)
    return text


def too_many_paragraphs(limit: int) -> InvalidInput:
    return InvalidInput(f"over the limit of {limit} paragraphs", code="too_large")


def from_text(text: str, max_blocks: int | None = None) -> Document:
    """Paragraphs are separated by blank lines; line breaks inside a paragraph are spaces.
    More than ``max_blocks`` of them is an error, found before they are all cut out."""
    text = without_surrogates(text).removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").translate(_LINE_ENDS)
    blocks = []
    for chunk in _between_blank_lines(text):
        paragraph = collapse_whitespace(chunk)
        if paragraph:
            blocks.append(Block(paragraph))
            if max_blocks is not None and len(blocks) > max_blocks:
                raise too_many_paragraphs(max_blocks)
    return Document(blocks, kind="text")


def _between_blank_lines(text: str) -> Iterator[str]:
    # One at a time: re.split would first hold every piece of a hostile text at once.
    start = 0
    for blank in _BLANK_LINES.finditer(text):
        yield text[start:blank.start()]
        start = blank.end()
    yield text[start:]


def from_paragraphs(paragraphs: list[str]) -> Document:
    """Exactly one block per given paragraph, in order, never re-split or merged."""
    return Document([Block(without_surrogates(paragraph)) for paragraph in paragraphs],
                    kind="paragraphs")
