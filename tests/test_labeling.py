"""The result message, from the shipped model, for each input kind."""

import json
from pathlib import Path

import jsonschema
import pytest

from classifier import LABELS, classify, classify_many, default_model, store
from classifier.schemas import load_schema

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def result_schema():
    return load_schema("result")


def test_html_result_follows_the_contract(result_schema):
    page = (FIXTURES / "article.html").read_bytes()
    result = classify({"id": "r1", "html": page, "meta": {"source": "test"}})
    jsonschema.validate(result, result_schema)
    assert (result["status"], result["id"], result["meta"]) == ("ok", "r1", {"source": "test"})
    assert result["model"] == default_model().info
    for paragraph in result["paragraphs"]:
        assert set(paragraph["scores"]) == set(LABELS)
        assert abs(sum(paragraph["scores"].values()) - 1) < 1e-3
        assert paragraph["confidence"] == paragraph["scores"][paragraph["label"]]
    body = [p["text"] for p in result["paragraphs"] if p["label"] == "body"]
    assert result["body_text"] == "\n\n".join(body)
    assert sum(result["counts"].values()) == len(result["paragraphs"])


def test_the_shipped_model_reads_an_ordinary_article_page():
    result = classify({"html": (FIXTURES / "article.html").read_bytes()})
    labels = {p["text"]: p["label"] for p in result["paragraphs"]}
    assert labels["Home"] == "cruft"
    assert labels["Privacy policy"] == "cruft"
    assert "sandbags stacked along the main road" in result["body_text"]
    assert "Engineers inspected the levees" in result["body_text"]
    assert "Council approves new budget" not in result["body_text"]


def test_paragraph_input_gives_one_entry_per_paragraph_in_order():
    given = ["Menu", "", "A sentence that belongs to the article.\n\nStill the same one.", "Share"]
    result = classify({"paragraphs": given})
    assert [p["text"] for p in result["paragraphs"]] == given
    assert [p["index"] for p in result["paragraphs"]] == [0, 1, 2, 3]


def test_text_input_is_split_on_blank_lines():
    result = classify({"text": (FIXTURES / "article.txt").read_text()})
    assert result["status"] == "ok"
    assert result["paragraphs"][0]["text"] == "Home News Weather Subscribe for $1"
    assert result["paragraphs"][1]["text"] == "River towns brace for a wetter spring"


@pytest.mark.parametrize("message", [
    "{", b"\xff", {"text": ""}, {"text": "  \n\n "}, {"html": "<script>x</script>"},
    {"paragraphs": ["x"], "text": "y"}, {"text": "x" * 11_000_000},
])
def test_bad_input_gives_an_error_result_not_an_exception(message, result_schema):
    result = classify(message)
    jsonschema.validate(result, result_schema)
    assert result["status"] == "error"
    assert result["error"]["code"] and result["error"]["message"]


@pytest.mark.parametrize("job", [
    {"text": "A line."}, {"id": 7, "html": "<p>A line.</p>"}, {"paragraphs": ["A line."]},
    {"id": None, "url": None, "meta": None, "text": "A line."},
    {"text": "A line.", "html": None, "paragraphs": None},
    {}, {"text": None}, {"text": "A line.", "html": "<p>A line.</p>"},
    {"text": 7}, {"paragraphs": "A line."}, {"paragraphs": ["A line.", 7]}, {"paragraphs": []},
    {"id": 1.5, "text": "A line."}, {"id": ["x"], "text": "A line."}, {"url": 7, "text": "A line."},
    {"meta": [], "text": "A line."},
])
def test_the_job_schema_accepts_exactly_the_jobs_that_are_answered(job):
    # Producers in other languages check their jobs against this schema before sending them.
    accepted = jsonschema.Draft202012Validator(load_schema("job")).is_valid(job)
    assert accepted == (classify(job)["status"] == "ok")


def test_paragraph_and_paragraph_count_limits_give_too_large():
    from classifier.limits import Limits

    limits = Limits(max_paragraph_chars=50, max_paragraphs=3)
    assert classify({"text": "x" * 51}, limits=limits)["error"]["code"] == "too_large"
    assert classify({"text": "a\n\nb\n\nc\n\nd"}, limits=limits)["error"]["code"] == "too_large"
    assert classify({"text": "a\n\nb\n\nc"}, limits=limits)["status"] == "ok"
    four = "<p>a</p><p>b</p><p>c</p><p>d</p>"
    assert classify({"html": four}, limits=limits)["error"]["code"] == "too_large"
    assert classify({"html": four[:-8]}, limits=limits)["status"] == "ok"
    assert classify({"paragraphs": list("abcd")}, limits=limits)["error"]["code"] == "too_large"


def test_error_results_keep_the_job_id():
    assert classify({"id": "bad-1", "text": 3})["id"] == "bad-1"
    assert json.loads(json.dumps(classify({"id": 9, "html": ""})))["id"] == "9"


def _without_elapsed(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "elapsed_ms"}


@pytest.mark.parametrize("blocks_per_call", [20_000, 25])
def test_a_batch_gives_each_job_the_result_it_gets_alone(monkeypatch, blocks_per_call):
    page, text = (FIXTURES / "article.html").read_bytes(), (FIXTURES / "article.txt").read_text()
    jobs = [{"id": "h1", "html": page}, {"id": "t1", "text": text}, {"text": ""},
            {"id": "p1", "paragraphs": ["Menu", "Subscribe now", "A sentence of the story."]},
            "{broken", {"id": "h2", "html": page.replace(b"levees", b"dykes")},
            {"id": "t2", "text": text.split("\n\n", 3)[-1]}]
    alone = [_without_elapsed(classify(job)) for job in jobs]
    monkeypatch.setattr(store, "BLOCKS_PER_CALL", blocks_per_call)
    together = [_without_elapsed(result) for result in classify_many(jobs)]
    assert together == alone
    assert [result["status"] for result in together] == ["ok", "ok", "error", "ok", "error",
                                                          "ok", "ok"]
