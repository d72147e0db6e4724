"""Cut an HTML page into blocks at block-level elements, keeping the layout facts of each block.

The walk is iterative (``etree.iterwalk``), so deeply nested markup cannot exhaust the stack.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from classifier import charsets
from classifier.documents import (
    Block,
    Document,
    collapse_whitespace,
    too_many_paragraphs,
    without_surrogates,
)
from classifier.errors import InvalidInput

BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu "
    "nav ol p pre section summary table tbody td tfoot th thead tr ul option button label "
    "br".split()
)
# Elements whose content a reader never sees as text.
DROPPED_TAGS = frozenset(
    "script style noscript template svg math head iframe object embed canvas select "
    "textarea input video audio picture source map noframes noembed".split()
)
# Ancestors worth naming in a block's markup tokens: they say which part of the page it is in.
LANDMARK_TAGS = frozenset(
    "nav header footer aside article main form figure figcaption ul ol li table a button "
    "section blockquote h1 h2 h3 h4 h5 h6 label dl".split()
)
# Declarations only: "display:none" inside another's value (a custom property) hides nothing.
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.I)
_WORDS = re.compile(r"[a-z]{2,}")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_MAX_CLASS_TOKENS = 8
# Tokens a block inherits at most: real pages reach about 115 (wcxb-dev); without a bound, a
# tower of nested elements with class names costs time and memory with the square of its height.
_MAX_MARKUP_TOKENS = 128
# libxml2 silently drops what lies deeper than this even with huge_tree; say so instead.
MAX_DEPTH = 2000
# lxml.etree's parser, not lxml.html's: the latter looks up a Python class for every element.
_PARSER = etree.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)


def decode_html(data: bytes) -> str:
    """Decode by BOM, then the charset the page declares, then UTF-8, then cp1252."""
    return charsets.decode(data, charsets.declared_charset(data))


def _is_hidden(element: etree._Element) -> bool:
    attrib = element.attrib
    return bool(attrib) and (
        "hidden" in attrib
        or attrib.get("aria-hidden") == "true"
        or attrib.get("type") == "hidden"
        or bool(_HIDDEN_STYLE.search(attrib.get("style", "")))
    )


@lru_cache(maxsize=4096)
def _class_tokens(class_names: str | None, element_id: str | None) -> tuple[str, ...]:
    # Cached: a page repeats the same few class attributes on hundreds of elements.
    names = f"{class_names or ''} {element_id or ''}"
    if len(names) > 300:  # generated utility-class soup says little and costs a lot
        names = names[:300]
    words = _WORDS.findall(_CAMEL.sub(" ", names).lower())
    return tuple(f"c:{word}" for word in words[:_MAX_CLASS_TOKENS])


class _Frame:
    """One open element on the walk's stack, with the tokens it contributes to its blocks."""

    __slots__ = ("tag", "tokens", "is_block", "block_tag")

    def __init__(self, tag: str, tokens: tuple[str, ...], parent_block_tag: str = "body") -> None:
        self.tag = tag
        self.tokens = tokens
        self.is_block = tag in BLOCK_TAGS
        # The innermost block-level element, which owns any text flushed inside this one.
        self.block_tag = tag if self.is_block else parent_block_tag


# Stand for an element whose subtree is skipped, or an inline element without children (most
# links, spans, images): no block starts or ends inside either, so nothing is flushed while one
# is on top and its tokens are never read; it only needs popping at its "end" event.
_INERT = _Frame("", ())
_INERT_LINK = _Frame("a", ())


def _frame(element: etree._Element, tag: str, parent: _Frame | None) -> _Frame:
    tokens = parent.tokens if parent else ()
    own = _class_tokens(element.get("class"), element.get("id"))
    if tag in LANDMARK_TAGS:
        own += (f"in:{tag}",)
    if own and len(tokens) < _MAX_MARKUP_TOKENS:
        tokens = (tokens + tuple(token for token in own if token not in tokens))[
            :_MAX_MARKUP_TOKENS]
    return _Frame(tag, tokens, parent.block_tag if parent else "body")


class _Segmenter:
    def __init__(self, max_blocks: int | None = None) -> None:
        self.max_blocks = max_blocks
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.link_chars = 0
        self.in_link = 0
        self.stack: list[_Frame] = []

    def add_text(self, text: str | None) -> None:
        if text:
            self.parts.append(text)
            if self.in_link:
                self.link_chars += len(text.strip())

    def flush(self) -> None:
        if not self.parts:
            return
        text = collapse_whitespace("".join(self.parts))
        if text:
            top = self.stack[-1] if self.stack else None
            tag = top.block_tag if top else "body"
            tokens = top.tokens if top else ()
            self.blocks.append(Block(
                text=text,
                tag=tag,
                depth=len(self.stack),
                link_density=min(1.0, self.link_chars / len(text)),
                markup=" ".join((f"t:{tag}", *tokens)),
            ))
            if self.max_blocks is not None and len(self.blocks) > self.max_blocks:
                raise too_many_paragraphs(self.max_blocks)
        self.parts.clear()
        self.link_chars = 0

    def walk(self, root: etree._Element) -> list[Block]:
        stack = self.stack
        walker = etree.iterwalk(root, events=("start", "end"))
        for event, element in walker:
            if event == "start":
                tag = element.tag
                if tag.__class__ is not str or tag in DROPPED_TAGS or _is_hidden(element):
                    walker.skip_subtree()
                    stack.append(_INERT)
                    continue
                if len(stack) >= MAX_DEPTH:
                    raise InvalidInput(f"html is nested deeper than {MAX_DEPTH} elements",
                                       code="too_deep")
                if tag not in BLOCK_TAGS and not len(element):
                    frame = _INERT_LINK if tag == "a" else _INERT
                else:
                    frame = _frame(element, tag, stack[-1] if stack else None)
                    if frame.is_block and self.parts:
                        self.flush()
                stack.append(frame)
                if tag == "a":
                    self.in_link += 1
                self.add_text(element.text)
            else:
                frame = stack[-1]
                if frame.is_block and self.parts:
                    self.flush()
                stack.pop()
                if frame.tag == "a":
                    self.in_link -= 1
                self.add_text(element.tail)
        self.flush()
        return self.blocks


def _title_of(root: etree._Element) -> str:
    for path in ("//meta[@property='og:title']/@content", "//title//text()", "//h1//text()"):
        found = root.xpath(path)
        if found:
            return collapse_whitespace(" ".join(str(part) for part in found))[:500]
    return ""


def from_html(page: str | bytes, max_blocks: int | None = None) -> Document:
    """Blocks of the visible text of ``page``; a page with no visible text, or more than
    ``max_blocks`` blocks of it, is an error."""
    # libxml2 also stops reading at a lone surrogate: the rest of the page would be lost.
    text = decode_html(page) if isinstance(page, bytes) else without_surrogates(page)
    text = _XML_DECLARATION.sub("", text).replace("\x00", "")
    if not text.strip():
        raise InvalidInput("html is empty", code="empty_input")
    try:
        root = etree.fromstring(text, parser=_PARSER)
    except (etree.LxmlError, ValueError) as error:
        raise InvalidInput(f"html could not be parsed: {error}", code="unparseable_html") from error
    if root is None:  # only comments or processing instructions
        raise InvalidInput("html could not be parsed: the document is empty",
                           code="unparseable_html")
    body = root.find("body")
    blocks = _Segmenter(max_blocks).walk(body if body is not None else root)
    if not blocks:
        raise InvalidInput("html has no visible text", code="empty_input")
    return Document(blocks, kind="html", title=_title_of(root))
