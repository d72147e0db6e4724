"""The vectorised feature pieces give exactly what the plain, slow definitions give."""

import re

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from classifier.charcounts import UPPER_CLASS, class_counts
from classifier.documents import from_paragraphs
from classifier.model import OncePerDistinct, core_context
from classifier.ngrams import HashedCharNgrams, WordNgramCounts
from classifier.shape import ShapeFeatures

TEXTS = [
    "The council approved the new bridge on Monday, after a two-year debate.",
    "Home | News | Sport",
    "",
    "a",
    "  Subscribe   now\nfor $5 a month!  ",
    "Ωmega Жук Ünïcode. Ok? Yes",
    "Emoji 😀 and 𝐁old letters 2024-11-26 12:30",
    "\0nul\0 inside",
    "lone \ud800 surrogate",
    "x" * 500,
]


def test_hashed_char_ngrams_count_what_char_wb_counts():
    reference = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4),
                                preprocessor=lambda text: text[:120].lower())
    expected = reference.fit_transform(TEXTS)
    hashed = HashedCharNgrams(head_chars=120).transform(TEXTS)
    assert hashed.shape == (len(TEXTS), 2 ** 18)
    for row in range(len(TEXTS)):
        if not TEXTS[row].strip() or "\0" in TEXTS[row]:
            # char_wb gives nothing for no words, a padded empty head gives "  "; NUL is
            # HashedCharNgrams' separator, so n-grams across it are not counted.
            continue
        assert sorted(hashed[row].data) == sorted(expected[row].data), TEXTS[row]


def test_hashed_char_ngrams_depend_on_the_text_alone():
    alone = HashedCharNgrams().transform(["Share this article"])
    among = HashedCharNgrams().transform(["Other text", "Share this article", "More"])
    assert (alone != among[1]).nnz == 0
    assert HashedCharNgrams().transform([]).shape == (0, 2 ** 18)


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 2), (1, 3)])
def test_word_ngram_counts_are_count_vectorizers_counts(ngram_range):
    training = [*TEXTS, "Subscribe now for the council news", "now for the bridge", "İstanbul ΣΑΣ"]
    # The first text ends with a word and the next starts with one that follow each other in
    # training: the pair is not counted across the two texts.
    unseen = ["Subscribe", "now for", "Council approved", "THE NEW BRIDGE, now!", "",
              "İSTANBUL σας"]
    expected = CountVectorizer(ngram_range=ngram_range, dtype=np.float32).fit(training)
    counts = WordNgramCounts(ngram_range=ngram_range).fit(training)
    assert counts.vocabulary_ == expected.vocabulary_
    for texts in (TEXTS, unseen, []):
        assert (counts.transform(texts) != expected.transform(texts)).nnz == 0
        assert counts.transform(texts).dtype == np.float32


@pytest.mark.parametrize(("name", "pattern"), [
    ("letters", r"[^\W\d_]"),
    ("punctuation", r"[^\w\s]"),
    ("digits", r"\d"),
    ("upper", f"[{UPPER_CLASS}]"),
    ("capitalised", f"(?:^|(?<=\\s))[{UPPER_CLASS}]"),
    ("sentence_breaks", r"[.!?。！？]\s"),
])
def test_class_counts_match_the_regular_expressions(name, pattern):
    expected = [len(re.findall(pattern, text)) for text in TEXTS]
    assert class_counts(TEXTS)[name].tolist() == expected


def test_class_counts_of_words_characters_and_numbers():
    counts = class_counts([*TEXTS, "12 34.5%", " 7 "])
    assert counts["words"].tolist() == [len(text.split()) for text in [*TEXTS, "12 34.5%", " 7 "]]
    assert counts["chars"].tolist() == [len(text) for text in [*TEXTS, "12 34.5%", " 7 "]]
    numeric = counts["numeric"] == counts["chars"]
    assert numeric[-2:].all() and not numeric[:2].any()
    assert class_counts([])["letters"].shape == (0,)


def test_once_per_distinct_gives_the_rows_of_the_plain_transformer():
    markup = ["t:li in:nav", "t:p in:article", "t:li in:nav", "t:li c:menu", "t:p in:article"]
    plain = CountVectorizer(token_pattern=r"\S+", binary=True).fit(markup)
    once = OncePerDistinct(CountVectorizer(token_pattern=r"\S+", binary=True)).fit(markup)
    assert (once.transform(markup) != plain.transform(markup)).nnz == 0
    assert once.transform(["t:p in:article"]).shape == (1, len(plain.vocabulary_))


def test_core_context_places_each_block_against_the_sure_blocks_of_its_own_page():
    # columns: appeal, body; two pages of four blocks, each scored on its own
    first = np.array([[0.9, 0.1], [0.1, 0.9], [0.4, 0.6], [0.95, 0.05]])
    second = np.array([[0.5, 0.5]] * 4)
    blocks = from_paragraphs(["a", "b", "c", "d"]).blocks + \
        from_paragraphs(["e", "f", "g", "h"]).blocks
    context = core_context(np.vstack([first, second]), blocks, body=1)
    page, unsure = context[:4], context[4:]
    before, after, inside = page[:, 0], page[:, 1], page[:, 2]
    assert np.allclose(before, np.log1p([1, 0, 0, 0]))
    assert np.allclose(after, np.log1p([0, 0, 0, 1]))
    assert inside.tolist() == [0, 1, 1, 0]
    assert np.allclose(page[:, 3] + page[:, 4] + first[:, 1] / first[:, 1].sum(), 1)
    assert page[0, 5] == 0.9 and page[0, 6] == 0.95  # strongest appeal within 1 and 3 blocks
    nearest_before, nearest_after = page[:, 9:12], page[:, 12:15]
    # block 2 follows the sure body block 1 and precedes the sure appeal block 3
    assert nearest_before[2].tolist() == [0, 1, np.log1p(1)]
    assert nearest_after[2].tolist() == [1, 0, np.log1p(1)]
    assert nearest_before[0].tolist() == [0, 0, np.log1p(4)]  # nothing sure before it
    # the second page has no sure block and no core, whatever the first page held
    assert np.allclose(unsure[:, 0], np.log1p(4)) and not unsure[:, 2].any()
    assert not unsure[:, [9, 10, 12, 13]].any()


def test_shape_features_of_some_of_a_pages_blocks_are_their_rows_of_the_whole_page():
    # HTML mode scores the blocks it did not call body apart from the others.
    document = from_paragraphs(["Home", "News", "The council met on Monday to approve it.",
                                "Subscribe now", "Share", "© 2026"])
    whole = ShapeFeatures().transform(document.blocks)
    some = [document.blocks[row] for row in (0, 3, 5)]
    np.testing.assert_array_equal(ShapeFeatures().transform(some), whole[[0, 3, 5]])
