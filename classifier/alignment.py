"""Which blocks of a page are the article: align block words to the reference text.

A block is body when most of its words line up, in order, with the reference text; the
reference leaves out the headline, which the label guide counts as body, so a block that
repeats the page title before the article starts is body too.
"""

from __future__ import annotations

import difflib
import re

import numpy as np

_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def body_mask(texts: list[str], reference: str, title: str = "", share: float = 0.5) -> np.ndarray:
    """True for each block whose words are mostly found, in order, in ``reference``."""
    block_words = [_words(text) for text in texts]
    owner = np.repeat(np.arange(len(texts)), [len(words) for words in block_words])
    flat = [word for words in block_words for word in words]
    matcher = difflib.SequenceMatcher(None, flat, _words(reference), autojunk=False)
    matched = np.zeros(len(texts))
    starts = np.cumsum([0] + [len(words) for words in block_words])
    for match in matcher.get_matching_blocks():
        # One or two shared words ("the", "share") are chance, unless they are a whole block
        # such as a short subheading.
        whole_block = match.size and starts[owner[match.a]] == match.a and \
            starts[owner[match.a] + 1] == match.a + match.size
        if match.size >= 3 or whole_block:
            np.add.at(matched, owner[match.a:match.a + match.size], 1)
    sizes = np.array([max(len(words), 1) for words in block_words])
    mask = matched / sizes >= share
    if title and mask.any():
        title_words = set(_words(title))
        first_body = int(np.flatnonzero(mask)[0])
        for index in range(first_body - 1, max(first_body - 12, -1), -1):
            words = set(block_words[index])
            if words and len(words & title_words) / len(words | title_words) >= 0.7:
                mask[index] = True
                break
    return mask
