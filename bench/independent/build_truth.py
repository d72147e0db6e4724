"""Derive truth/<id>.json from the reference output stored in expected/.

* expected/<id>.html (mozilla/readability's expected.html): the visible text, one
  paragraph per block-level element (p, h1-h6, li, pre, blockquote, td, ...),
  whitespace collapsed.
* expected/<id>.txt (newspaper's expected text): paragraphs split on blank lines,
  whitespace collapsed.

Paragraphs listed under "exclude" in manifest.json (with the reason) are dropped;
body blocks the reference extractor lost, listed under "add" (with the reason), are
inserted after the paragraph starting with "after" ("" = at the top). Paragraphs
are joined by blank lines. Run from the repository root:
    .venv/bin/python bench/independent/build_truth.py
"""

import json
import re
from pathlib import Path

import lxml.html

HERE = Path(__file__).resolve().parent
BLOCKS = {
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "div",
    "dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
SKIP = {"script", "style", "noscript", "template", "head", "title"}


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def html_blocks(root) -> list[str]:
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        text = collapse("".join(buf))
        if text:
            out.append(text)
        buf.clear()

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag and tag not in SKIP:
            is_block = tag in BLOCKS
            if is_block:
                flush()
            buf.append(" " if tag == "br" else el.text or "")
            for child in el:
                walk(child)
            if is_block:
                flush()
        buf.append(el.tail or "")

    walk(root)
    flush()
    return out


def paragraphs(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".txt":
        return [p for p in map(collapse, re.split(r"\n\s*\n", text)) if p]
    return html_blocks(lxml.html.fromstring(text))


def main() -> None:
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    (HERE / "truth").mkdir(exist_ok=True)
    for pid, meta in sorted(manifest["pages"].items()):
        src, exp = meta["source"], meta["expected"]
        ext = Path(exp["path"]).suffix
        paras = paragraphs(HERE / "expected" / f"{pid}{ext}")
        drops = [e["startswith"] for e in meta.get("exclude", [])]
        kept = [p for p in paras if not any(p.startswith(d) for d in drops)]
        for add in meta.get("add", []):
            at = next(i + 1 for i, p in enumerate(kept) if p.startswith(add["after"]))
            kept.insert(at if add["after"] else 0, add["text"])
        truth = {
            "id": pid,
            "source": f"{src['repo']}@{src['commit']}:{src['path']}",
            "expected": f"{exp['repo']}@{exp['commit']}:{exp['path']}",
            "license": manifest["licenses"][src["repo"]],
            "language": meta["language"],
            "main_content": "\n\n".join(kept),
        }
        if meta.get("exclude"):
            truth["excluded"] = meta["exclude"]
        if meta.get("add"):
            truth["added"] = meta["add"]
        path = HERE / "truth" / f"{pid}.json"
        path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        words, chars = len(truth["main_content"].split()), len(truth["main_content"])
        counts = f"{len(paras)} ref paragraphs -> {len(kept)}\t{words} words\t{chars} chars"
        print(f"{pid}\t{meta['language']}\t{counts}")


if __name__ == "__main__":
    main()
