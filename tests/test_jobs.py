import json

import pytest

from classifier.errors import InvalidInput
from classifier.jobs import job_id_of, read_job
from classifier.limits import Limits


def test_a_job_can_be_a_dict_json_text_or_json_bytes():
    job = {"id": "a1", "text": "Hello\n\nWorld", "meta": {"k": 1}, "url": "https://x.example"}
    for message in (job, json.dumps(job), json.dumps(job).encode()):
        parsed = read_job(message)
        assert (parsed.id, parsed.kind, parsed.meta, parsed.url) == ("a1", "text", {"k": 1},
                                                                      "https://x.example")


def test_numeric_ids_become_strings_and_html_bytes_are_kept_as_bytes():
    assert read_job({"id": 7, "html": b"<p>x</p>"}).id == "7"
    assert read_job('{"id": 7.0, "text": "x"}').id == "7"  # an integer to JSON Schema
    assert job_id_of('{"id": 7.0, "text": 5}') == "7"
    assert read_job({"html": b"<p>x</p>"}).content == b"<p>x</p>"


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-8-sig", "utf-16"])
def test_text_bytes_are_decoded_by_bom_then_utf8_then_cp1252(encoding):
    data = "Café crème.\n\nBrûlée.".encode(encoding)
    assert read_job({"text": data}).document().texts == ["Café crème.", "Brûlée."]


@pytest.mark.parametrize(("message", "code"), [
    ("{not json", "malformed_json"),
    (b"\xff\xfe\x00garbage", "undecodable"),
    ([1, 2, 3], "wrong_type"),
    (42, "wrong_type"),
    (None, "wrong_type"),
    ({}, "no_input"),
    ({"id": "x"}, "no_input"),
    ({"text": "a", "html": "<p>b</p>"}, "ambiguous_input"),
    ({"text": 5}, "wrong_type"),
    ({"paragraphs": "not a list"}, "wrong_type"),
    ({"paragraphs": ["ok", 3]}, "wrong_type"),
    ({"paragraphs": []}, "empty_input"),
    ({"text": "x", "meta": []}, "wrong_type"),
    ({"text": "x", "id": {"nested": 1}}, "wrong_type"),
    ({"text": "x", "url": 12}, "wrong_type"),
    ({"text": "x", "id": True}, "wrong_type"),
    ({"text": "x", "id": 7.5}, "wrong_type"),
    ({"text": "x", "id": float("inf")}, "wrong_type"),
    ({"text": "x", "id": 10 ** 5000}, "wrong_type"),
    ({"text": "x", "meta": {"v": float("nan")}}, "wrong_type"),  # a dict from Python
    ('{"id": 1' + "0" * 5000 + ', "text": "x"}', "malformed_json"),  # over int's digit limit
    ("[" * 100_000, "malformed_json"),  # deeper than the parser's recursion
    ('{"text": "x", "meta": {"a": NaN}}', "malformed_json"),
    # echoed into the result, which must be writable as UTF-8: a lone surrogate is not
    ('{"text": "x", "id": "k\\ud800"}', "wrong_type"),
    ('{"text": "x", "url": "https://x.example/\\udc00"}', "wrong_type"),
    ('{"text": "x", "meta": {"note": "\\ud800"}}', "wrong_type"),
])
def test_every_malformed_job_is_a_coded_error(message, code):
    with pytest.raises(InvalidInput) as error:
        read_job(message)
    assert error.value.code == code
    assert error.value.message


def test_size_limits_are_enforced_and_configurable(monkeypatch):
    with pytest.raises(InvalidInput) as error:
        read_job({"text": "x" * 101}, Limits(max_bytes=100))
    assert error.value.code == "too_large"
    with pytest.raises(InvalidInput):
        read_job({"paragraphs": ["a"] * 11}, Limits(max_paragraphs=10))
    monkeypatch.setenv("PARASIFT_MAX_BYTES", "50")
    assert Limits.from_env().max_bytes == 50
    with pytest.raises(InvalidInput):
        read_job({"html": "<p>" + "y" * 60 + "</p>"})


def test_a_json_job_may_start_with_a_byte_order_mark_and_null_meta_means_none():
    assert read_job(b'\xef\xbb\xbf{"text": "x", "meta": null}').meta == {}


def test_error_results_keep_the_id_of_a_job_sent_as_json_text():
    assert job_id_of('{"id": "k2", "text": ""}') == "k2"
    assert job_id_of(b'{"id": 7, "html": 5}') == "7"
    assert job_id_of("{broken") is None


def test_a_large_integer_id_is_still_an_id():
    assert read_job({"text": "x", "id": 2 ** 70}).id == str(2 ** 70)


def test_an_id_with_a_lone_surrogate_is_no_id_for_error_results():
    assert job_id_of('{"id": "k\\ud800", "text": "x"}') is None


def test_lone_surrogates_in_text_and_paragraphs_become_replacement_characters():
    assert read_job('{"text": "a\\ud800b\\n\\nc"}').document().texts == ["a\ufffdb", "c"]
    assert read_job({"paragraphs": ["x\udc00", "y"]}).document().texts == ["x\ufffd", "y"]
