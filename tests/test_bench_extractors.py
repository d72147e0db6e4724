"""The benchmark's adapters and scoring on a tiny page written here (not ../shared)."""

from __future__ import annotations

import json
from functools import partial

import pytest

for _module in ("trafilatura", "readability", "justext", "boilerpy3", "resiliparse", "matplotlib"):
    pytest.importorskip(_module, reason="needs the bench extra: pip install -e '.[bench]'")

from bench import accuracy  # noqa: E402
from bench.extractors import COMPETITORS, justext_labels, keep_everything  # noqa: E402
from classifier import default_model  # noqa: E402
from classifier.errors import InvalidInput  # noqa: E402
from classifier.htmlblocks import from_html  # noqa: E402
from classifier.training import window_digest  # noqa: E402

# Paragraphs over 200 characters: jusText calls anything shorter at most "near good".
ARTICLE = [
    "The city council voted on Tuesday to rebuild the old harbour bridge, which has been closed "
    "to traffic since the storms of last winter, and the work on it is expected to take about two "
    "years to finish, the mayor said.",
    "Engineers told the council that the bridge could not be repaired, because the steel had been "
    "weakened by salt water over many decades and the foundations were no longer safe for the "
    "heavy lorries that cross it every day to use.",
    "The new bridge will have a lane for bicycles and a wider path for people on foot, and the "
    "council said that it would also be built to survive the stronger storms that are expected "
    "in the years to come, the mayor said.",
    "Residents who had asked for the bridge to be rebuilt for many months welcomed the decision, "
    "although some of them said that they were still worried about the cost of the whole project "
    "to the town and to the people who live here.",
]
PAGE = ("<html><head><title>Bridge</title></head><body>"
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li>"
        "<li><a href='/sport'>Sport</a></li></ul></nav>"
        "<article><h1>Council votes to rebuild the harbour bridge</h1>"
        + "".join(f"<p>{text}</p>" for text in ARTICLE)
        + "</article><footer><p>Copyright 2024 Example News. All rights reserved.</p>"
        "<p><a href='/privacy'>Privacy</a> <a href='/terms'>Terms</a></p></footer>"
        "</body></html>").encode()
REFERENCE = "\n\n".join(ARTICLE)


@pytest.mark.parametrize("system", sorted(COMPETITORS))
def test_each_competitor_extracts_the_article(system: str) -> None:
    text = COMPETITORS[system](PAGE, "en")
    assert isinstance(text, str)
    assert "harbour bridge" in text
    assert accuracy.word_prf(text, REFERENCE)[2] > 0.8


def test_justext_labels_one_label_per_paragraph_in_order() -> None:
    # A blank paragraph is dropped by jusText and must not shift the labels after it; markup
    # characters are escaped; a short line between good paragraphs is good by jusText's context.
    paragraphs = ["Menu", "", ARTICLE[0], "a < b & c", ARTICLE[1], ARTICLE[2], "Copyright 2024"]
    labels = justext_labels(paragraphs, "en")
    assert labels == ["cruft", "cruft", "body", "body", "body", "body", "cruft"]
    assert keep_everything(paragraphs, "en") == ["body"] * len(paragraphs)


@pytest.mark.parametrize(("language", "keeps_the_article"),
                         [("en", True), ("fr", False), ("ja", True)])
def test_justext_reads_each_page_with_its_own_languages_stoplist(language, keeps_the_article):
    # French stop words are rare in English, so with that stoplist jusText keeps nothing; with
    # none (Japanese) it judges by length and links alone.
    assert (ARTICLE[0] in COMPETITORS["jusText"](PAGE, language)) == keeps_the_article


def test_systems_are_compared_page_by_page_with_an_interval() -> None:
    def score(system: str, f1: list[float]) -> accuracy.HtmlScore:
        return accuracy.HtmlScore(system, 0, 0, sum(f1) / len(f1), 0, 0, None, None, 1.0,
                                  dict(zip("abcd", f1)))
    base, better = score("trafilatura", [0.5, 0.5, 0.5, 0.5]), score("x", [1.0, 1.0, 0.5, 0.4])
    mean, low, high, wins, losses = accuracy.against(better, base)
    assert (mean, wins, losses) == (pytest.approx(0.225), 2, 1)
    assert -0.1 <= low < mean < high <= 0.5
    assert "| x | +0.2250 |" in accuracy.paired_table([base, better])
    assert accuracy.paired_table([better]) == ""  # no trafilatura to compare with


def _case(case_id: str, reference: str = REFERENCE) -> accuracy.HtmlCase:
    return accuracy.HtmlCase(case_id, PAGE, reference, with_snippets=["harbour bridge"],
                             without_snippets=["All rights reserved"])


def test_run_html_scores_failures_as_zero_and_counts_them() -> None:
    def flaky(html: bytes, language: str) -> str:
        flaky.calls += 1
        if flaky.calls == 3:
            raise ValueError("broken page")
        return REFERENCE if flaky.calls != 4 else ""
    flaky.calls = 0
    cases = [_case("a"), _case("b"), _case("c")]
    texts, seconds = accuracy.run_html(flaky, cases)
    assert len(seconds) == 3 and all(time >= 0 for time in seconds)
    score = accuracy.html_score("flaky", texts, sum(seconds), cases)
    # the first call is the untimed warm-up, so pages a, b, c see calls 2, 3, 4
    assert (score.errors, score.empty) == (1, 1)
    assert score.f1_by_page == {"a": 1.0, "b": 0.0, "c": 0.0}
    assert score.f1 == pytest.approx(1 / 3)
    assert score.with_found == pytest.approx(1 / 3)
    assert score.without_absent == 1.0
    assert score.pages_per_s > 0


def test_run_text_per_label_scores_and_failed_documents() -> None:
    docs = [accuracy.TextCase("d1", ["x", "y", "z"], ["body", "appeal", "cruft"]),
            accuracy.TextCase("d2", ["w"], ["body"])]

    def labeller(paragraphs: list[str], language: str) -> list[str]:
        if paragraphs == ["w"]:
            raise RuntimeError("no")
        return ["body", "cruft", "cruft"]
    labels, seconds = accuracy.run_text(labeller, docs)
    score = accuracy.text_score("t", labels, sum(seconds), docs)
    assert score.failures == 1
    assert score.per_label["body"] == (1.0, 0.5, pytest.approx(2 / 3), 2)
    assert score.per_label["appeal"][2] == 0.0
    assert score.macro_f1 == pytest.approx((2 / 3 + 0 + 2 / 3) / 3)


def test_systems_take_turns_and_each_page_counts_its_median_time() -> None:
    calls = []
    times = {"a": iter([[1.0, 5.0], [3.0, 1.0], [2.0, 2.0]]), "b": iter([[9.0], [1.0], [2.0]])}

    def run(system: str) -> tuple[list[str], list[float]]:
        calls.append(system)
        return [f"{system} output {len(calls)}"], next(times[system])
    found = accuracy.in_rounds({"a": partial(run, "a"), "b": partial(run, "b")}, rounds=3)
    assert calls == ["a", "b"] * 3
    assert found == {"a": (["a output 1"], 4.0), "b": (["b output 2"], 2.0)}


def test_independent_set_format(tmp_path) -> None:
    assert accuracy.independent_dataset(tmp_path, None) is None
    (tmp_path / "pages").mkdir()
    (tmp_path / "truth").mkdir()
    (tmp_path / "pages" / "p1.html").write_bytes(PAGE)
    (tmp_path / "pages" / "p2.html").write_bytes(PAGE)  # no truth yet: skipped
    (tmp_path / "truth" / "p1.json").write_text(json.dumps({"main_content": REFERENCE}))
    dataset = accuracy.independent_dataset(tmp_path, None)
    assert [page.id for page in dataset.pages] == ["p1"]
    assert dataset.docs == []  # no labels yet: HTML mode only

    texts = from_html(PAGE).texts[1:3]
    line = {"id": "p1", "blocks": [1, 3], "sha256": window_digest(texts),
            "labels": ["body", "cruft"]}
    (tmp_path / "labels.jsonl").write_text(json.dumps(line) + "\n")
    dataset = accuracy.independent_dataset(tmp_path, None)
    assert (dataset.docs[0].paragraphs, dataset.docs[0].labels) == (texts, ["body", "cruft"])
    labels = accuracy.html_labels(default_model(), dataset.docs)  # the page, cut as HTML
    assert (labels["pages"], labels["blocks"]) == (1, 2)
    assert "three labels: 2 blocks of 1 pages" in accuracy._dataset_section(dataset, [], [], labels)

    (tmp_path / "labels.jsonl").write_text(json.dumps({**line, "blocks": [0, 2]}) + "\n")
    with pytest.raises(InvalidInput, match="no longer cuts into the blocks"):
        accuracy.independent_dataset(tmp_path, None)


def test_tables_chart_and_missing_data(tmp_path) -> None:
    texts, seconds = accuracy.run_html(COMPETITORS["resiliparse"], [_case("a")])
    score = accuracy.html_score("resiliparse", texts, sum(seconds), [_case("a")])
    assert "| resiliparse |" in accuracy.html_table([score])
    dataset = accuracy.Dataset("tiny", "one page", [_case("a")], [])
    accuracy.chart([(dataset, [score], [], None)], tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(SystemExit) as stopped:
        accuracy.main(["--data", str(tmp_path / "missing")])
    assert "no data at" in str(stopped.value.code)
    with pytest.raises(SystemExit) as stopped:
        accuracy.main(["--rounds", "0"])
    assert stopped.value.code == 2  # argparse's usage error, before any data is read
