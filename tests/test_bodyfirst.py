"""HTML mode's estimator: the body model decides what is body; appeal or cruft among the other
blocks is learnt from the blocks a person labelled, and from no others."""

import numpy as np
import pytest
from fixture_corpus import as_html, documents

from classifier.bodyfirst import BodyFirst
from classifier.htmlblocks import from_html
from classifier.model import SequenceClassifier, first_pass
from classifier.training import Labelled, by_hand, flatten


def _pages(hand_labelled: int, count: int = 12) -> list[Labelled]:
    """Fixture pages, the first ``hand_labelled`` labelled by a person. On the others, as on
    pages labelled from their reference text, every pitch is called cruft."""
    examples = []
    for number, source in enumerate(documents(count)):
        document = from_html(as_html(source))
        labels = [paragraph["label"] for paragraph in source["paragraphs"]]
        assert document.texts == [paragraph["text"] for paragraph in source["paragraphs"]]
        hand = number < hand_labelled
        if not hand:
            labels = ["cruft" if label == "appeal" else label for label in labels]
        examples.append(Labelled(document, labels, by_hand=[hand] * len(labels)))
    return examples


def _fit(examples: list[Labelled]) -> BodyFirst:
    blocks, labels = flatten(examples)
    body = SequenceClassifier(first_pass(markup=True), folds=2, core=False)
    return BodyFirst(body).fit(blocks, labels, by_hand=by_hand(examples))


def _unseen_page() -> Labelled:
    return _pages(hand_labelled=14, count=14)[-1]


def test_pitches_are_told_from_cruft_by_what_people_labelled():
    model = _fit(_pages(hand_labelled=3))
    page = _unseen_page()
    _, own = model.body_.decide(page.document.blocks)
    proba, best = model.decide(page.document.blocks)
    pitches = [row for row, label in enumerate(page.labels) if label == "appeal"]
    classes = list(model.classes_)
    assert pitches and {model.classes_[own[row]] for row in pitches} == {"cruft"}
    assert [model.classes_[best[row]] for row in pitches] == ["appeal"] * len(pitches)
    body = classes.index("body")
    assert ((best == body) == (own == body)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba[:, body],
                                  model.body_.predict_proba(page.document.blocks)[:, body])


def _pitches_on_the_first_page_only(pages: list[Labelled]) -> list[Labelled]:
    for page in pages[1:]:
        page.labels = ["cruft" if label == "appeal" else label for label in page.labels]
    return pages


@pytest.mark.parametrize("pages", [
    _pages(hand_labelled=0),
    _pages(hand_labelled=1),
    # three pages labelled by hand, but a fold that holds out the first has no pitch to learn
    _pitches_on_the_first_page_only(_pages(hand_labelled=3)),
], ids=["no hand labels", "one page", "pitches on one page"])
def test_without_enough_hand_labels_the_body_models_decision_stands(pages):
    model = _fit(pages)
    blocks = _unseen_page().document.blocks
    assert model.kind_ is None
    for ours, its in zip(model.decide(blocks), model.body_.decide(blocks)):
        np.testing.assert_array_equal(ours, its)
