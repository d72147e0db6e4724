"""Hostile input through a real worker: anything is answered with a result or an error result,
within the time limits, and the worker goes on serving."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worker.client import submit, submit_many, wait
from worker.redis_server import RedisServer
from worker.service import stop_processes
from worker.tasks import classify_all
from worker.testing import WAIT, Service, service_env, unique, variants

pytestmark = pytest.mark.integration

SLOW = {"paragraphs": [f"Paragraph {n} of a very long page about the harbour." for n in
                       range(40_000)]}
BOMB = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;'
        '&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><html><body><p>&c;</p>'
        '</body></html>')
NAMED = {
    "nul_bytes": ({"text": "Before\x00after.\n\nSecond\x00 paragraph."}, None),
    "invalid_utf8_html_bytes": ({"html": b"<p>caf\xe9 \xff\xfe bad bytes</p>"}, None),
    "binary_garbage_html": ({"html": bytes(range(256)) * 400}, None),
    "nested_100k_elements": ({"html": "<div>" * 100_000 + "deep" + "</div>" * 100_000}, None),
    "huge_attribute": ({"html": '<p title="' + "x" * 5_000_000 + '">Short text.</p>'}, None),
    "entity_expansion_bomb": ({"html": BOMB}, None),
    "million_tiny_paragraphs": ({"text": "a\n\n" * 1_000_000}, "too_large"),
    "fifty_mb_of_html": ({"html": "<p>" + "x" * 50_000_000 + "</p>"}, "too_large"),
    "wrong_typed_meta": ({"text": "x", "meta": ["not", "an", "object"]}, "wrong_type"),
    "wrong_typed_id": ({"text": "x", "id": {"nested": 1}}, "wrong_type"),
    # as JavaScript's JSON.stringify may send them; such an id cannot be written to a stream
    "lone_surrogate_in_id": ({"text": "Hello world.", "id": "sur-\ud800"}, "wrong_type"),
    "lone_surrogates_in_text": ({"text": "Hello \ud800 world.\n\nMore \udfff."}, None),
}


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_hostile_job_is_answered(service: Service, name: str) -> None:
    job, code = NAMED[name]
    result = wait(submit(job, app=service.app), timeout=WAIT, app=service.app)
    assert result["status"] in {"ok", "error"}
    if code:
        assert result["error"]["code"] == code
    if name == "lone_surrogates_in_text":
        assert [p["text"] for p in result["paragraphs"]] == ["Hello \ufffd world.", "More \ufffd."]
    if name == "entity_expansion_bomb" and result["status"] == "ok":
        assert "lollollol" not in result["body_text"] + str(result["paragraphs"])
    good = variants(1, unique(name))[0]
    assert wait(submit(good, app=service.app), timeout=WAIT, app=service.app)["status"] == "ok"


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                       | st.text(), lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=12)
FIELD = st.sampled_from(["id", "text", "html", "paragraphs", "url", "meta"])
JOBS = (JSONISH | st.binary(max_size=200) | st.text(max_size=200)
        | st.dictionaries(FIELD, JSONISH | st.text(max_size=300)
                          | st.lists(st.text(max_size=80), max_size=6), max_size=4)
        | st.builds(lambda body: {"html": f"<html><body>{body}</body></html>"}, st.text()))


@settings(max_examples=300, deadline=None)
@given(JOBS)
def test_any_message_gives_one_result_never_an_exception_in_process(job: object) -> None:
    [result] = classify_all([job])
    assert result["status"] in {"ok", "error"}
    assert result["status"] == "ok" or set(result["error"]) == {"code", "message"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(JOBS, min_size=1, max_size=8))
def test_any_batch_through_the_worker_is_answered_job_by_job(service: Service,
                                                             jobs: list) -> None:
    [task_id] = submit_many(jobs, batch_size=100, app=service.app)
    results = wait(task_id, timeout=WAIT, app=service.app)
    assert len(results) == len(jobs)
    assert all(result["status"] in {"ok", "error"} for result in results)
    dead = {e.task_id for e in service.entries(service.config.dead_stream)}
    errors = {f"{task_id}:{n}" for n, result in enumerate(results) if result["status"] != "ok"}
    assert errors <= dead


def _limited_service(server: RedisServer, logs: Path, soft: str, hard: str) -> Service:
    return Service(service_env(server.url, PARASIFT_TASK_SOFT_TIME_LIMIT=soft,
                               PARASIFT_TASK_TIME_LIMIT=hard), logs)


def test_soft_time_limit_answers_the_rest_of_the_batch_with_errors(own_redis: RedisServer,
                                                                   tmp_path: Path) -> None:
    service = _limited_service(own_redis, tmp_path, soft="0.5", hard="60")
    try:
        service.worker("soft")
        slow, small = {"id": "slow", **SLOW}, variants(1, "small")[0]
        results = wait(submit_many([slow, small], batch_size=2, app=service.app)[0],
                       timeout=WAIT, app=service.app)
        assert [r["error"]["code"] for r in results] == ["time_limit", "time_limit"]
        dead = service.collect({"slow", small["id"]}, stream=service.config.dead_stream)
        assert sorted(len(entries) for entries in dead.values()) == [1, 1]
        after = variants(1, "after")[0]
        assert wait(submit(after, app=service.app), timeout=WAIT, app=service.app)["status"] == "ok"
    finally:
        stop_processes(service.processes)


def test_hard_time_limit_still_publishes_an_error_and_the_worker_goes_on(
        own_redis: RedisServer, tmp_path: Path) -> None:
    service = _limited_service(own_redis, tmp_path, soft="600", hard="1")
    try:
        service.worker("hard")
        submit({"id": "too-slow", **SLOW}, app=service.app)
        [entry] = service.collect({"too-slow"})["too-slow"]
        assert entry.result["error"]["code"] == "time_limit"
        assert len(service.collect({"too-slow"}, stream=service.config.dead_stream)) == 1
        after = variants(1, "after-hard")[0]
        assert wait(submit(after, app=service.app), timeout=WAIT, app=service.app)["status"] == "ok"
        assert service.drained()
        assert len(service.collect({"too-slow"})["too-slow"]) == 1  # not run again
        assert "Hard time limit (1.0s) exceeded" in service.log_of("hard")
    finally:
        stop_processes(service.processes)
