"""One small adapter per system: HTML bytes in, extracted text out (HTML mode), or a list of
paragraphs in, one label per paragraph out (text mode). Each also gets the page's language (an
ISO 639-1 code), as a user who knows it would give it; only jusText needs it.

Each competitor is called through its documented entry point with its defaults, so the benchmark
measures the tools as people use them. An adapter may raise; the harness counts that as a failure.
"""

from __future__ import annotations

import functools
import html as markup
import re
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import justext
import lxml.html
import trafilatura
from boilerpy3 import extractors as boilerpy3_extractors
from readability import Document
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding
from resiliparse.parse.html import HTMLTree

HtmlExtractor = Callable[[bytes, str], str]
BatchExtractor = Callable[[list[bytes]], list[str | None]]  # None: that page failed
Labeller = Callable[[list[str], str], list[str]]

# Elements after which a reader sees a line break; lxml's text_content() would glue
# "<p>end</p><p>start</p>" into "endstart" and cost readability words it did find.
_BREAK_TAGS = ("p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
               "blockquote", "pre", "section", "article", "table", "ul", "ol", "dd", "dt",
               "figcaption")
_P_INDEX = re.compile(r"/p\[(\d+)\]$")


def decode(html: bytes) -> str:
    """Bytes to text by the declared or detected charset, for libraries that want ``str``."""
    return bytes_to_str(html, detect_encoding(html))


def trafilatura_text(html: bytes, language: str) -> str:
    return trafilatura.extract(html, include_comments=False, include_tables=True,
                               favor_precision=False) or ""


def readability_text(html: bytes, language: str) -> str:
    summary = lxml.html.fromstring(Document(html).summary(html_partial=True))
    for element in summary.iter(*_BREAK_TAGS):
        element.tail = "\n" + (element.tail or "")
    return summary.text_content()


# jusText's stoplists for the languages of the benchmark's pages, and a few more.
_STOPLISTS = {"en": "English", "ar": "Arabic", "de": "German", "es": "Spanish", "fr": "French",
              "it": "Italian", "lv": "Latvian", "nl": "Dutch", "pl": "Polish",
              "pt": "Portuguese", "ru": "Russian"}


@functools.cache
def _justext_settings(language: str) -> dict[str, Any]:
    """jusText's stoplist for the page's language; for a language it has none for (Chinese,
    Japanese), its documented language-independent settings."""
    if language not in _STOPLISTS:
        return {"stoplist": frozenset(), "stopwords_low": 0, "stopwords_high": 0}
    return {"stoplist": justext.get_stoplist(_STOPLISTS[language])}


def justext_text(html: bytes, language: str) -> str:
    paragraphs = justext.justext(html, **_justext_settings(language))
    return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def boilerpy3_text(html: bytes, language: str) -> str:
    return boilerpy3_extractors.ArticleExtractor().get_content(decode(html))


def resiliparse_text(html: bytes, language: str) -> str:
    tree = HTMLTree.parse_from_bytes(html, detect_encoding(html))
    return extract_plain_text(tree, main_content=True)


COMPETITORS: dict[str, HtmlExtractor] = {
    "trafilatura": trafilatura_text,
    "readability-lxml": readability_text,
    "jusText": justext_text,
    "boilerpy3": boilerpy3_text,
    "resiliparse": resiliparse_text,
}


def version_of(system: str) -> str:
    """The installed version of a system (its name here is its distribution's name); for
    parasift also its model's, which is what the figures depend on."""
    try:
        if system.startswith("parasift"):  # also its batched row
            from classifier import default_model
            return f"{version('parasift')}, model {default_model().info['version']}"
        return version(system)
    except PackageNotFoundError:
        return "?"


def _checked(result: dict[str, Any]) -> dict[str, Any]:
    if result["status"] != "ok":
        raise ValueError(result["error"]["message"])
    return result


def parasift_html(model: Any) -> HtmlExtractor:
    """parasift's HTML mode with an already loaded model, so loading is never timed."""
    from classifier import classify

    def extract(html: bytes, language: str) -> str:
        return _checked(classify({"html": html}, model))["body_text"]
    return extract


def parasift_html_batches(model: Any) -> BatchExtractor:
    """parasift's HTML mode on many pages per call (``classify_many``)."""
    from classifier import classify_many

    def extract(pages: list[bytes]) -> list[str | None]:
        results = classify_many([{"html": html} for html in pages], model)
        return [result.get("body_text") for result in results]
    return extract


def parasift_labels(model: Any) -> Labeller:
    from classifier import classify

    def label(paragraphs: list[str], language: str) -> list[str]:
        result = _checked(classify({"paragraphs": paragraphs}, model))
        return [paragraph["label"] for paragraph in result["paragraphs"]]
    return label


def justext_labels(paragraphs: list[str], language: str) -> list[str]:
    """jusText on the given paragraphs, one ``<p>`` each: good -> body, anything else -> cruft
    (jusText has no notion of appeal). Paragraphs it drops (blank ones) count as cruft."""
    page = "<html><body>" + "".join(f"<p>{markup.escape(text)}</p>" for text in paragraphs)
    labels = ["cruft"] * len(paragraphs)
    for paragraph in justext.justext(page + "</body></html>", **_justext_settings(language)):
        position = _P_INDEX.search(paragraph.xpath)
        if position and not paragraph.is_boilerplate:
            labels[int(position.group(1)) - 1] = "body"
    return labels


def keep_everything(paragraphs: list[str], language: str) -> list[str]:
    return ["body"] * len(paragraphs)
