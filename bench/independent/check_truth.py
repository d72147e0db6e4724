"""Sanity check: every main_content paragraph must occur in its page's visible text.

Comparison ignores case, whitespace and punctuation. Run from the repository root:
    .venv/bin/python bench/independent/check_truth.py
"""

import json
import re
import sys
from pathlib import Path

import lxml.html

HERE = Path(__file__).resolve().parent


def norm(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


def main() -> int:
    bad = 0
    for path in sorted((HERE / "truth").glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        page = (HERE / "pages" / f"{truth['id']}.html").read_text(encoding="utf-8")
        doc = lxml.html.fromstring(page)
        for el in doc.xpath("//script|//style|//noscript"):
            el.drop_tree()
        visible = norm(doc.text_content())
        paras = truth["main_content"].split("\n\n")
        missing = [p[:60] for p in paras if norm(p) not in visible]
        bad += bool(missing)
        print(f"{truth['id']:24} {len(paras) - len(missing)}/{len(paras)} found {missing[:3]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
