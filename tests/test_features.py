"""The vectorised feature pieces give exactly what the plain, slow definitions give."""

import re

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from classifier.charcounts import UPPER_CLASS, class_counts
from classifier.model import OncePerDistinct
from classifier.ngrams import HashedCharNgrams, WordNgramCounts

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
