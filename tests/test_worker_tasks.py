"""The tasks through a real Redis and a real worker: results, streams, bad jobs, pickle."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from celery.result import AsyncResult

import classifier
from worker.client import CLASSIFY, CLASSIFY_BATCH, submit, submit_many, wait
from worker.testing import WAIT, Service, labels, raw_message, unique, variants

pytestmark = pytest.mark.integration


def test_each_input_kind_round_trips_with_in_process_labels(service: Service) -> None:
    jobs = variants(6, unique("kind"))  # html, text and paragraphs, twice over
    assert {kind for job in jobs for kind in ("html", "text", "paragraphs") if kind in job} == {
        "html", "text", "paragraphs"}
    for job in jobs:
        result = wait(submit(job, app=service.app), timeout=WAIT, app=service.app)
        expected = classifier.classify(job)
        assert result["status"] == "ok"
        assert result["id"] == job["id"] and result["meta"] == job["meta"]
        assert labels(result) == labels(expected)
        assert result["body_text"] == expected["body_text"]


def test_batch_task_returns_one_result_per_job_in_order(service: Service) -> None:
    jobs = variants(7, unique("batch"))
    [task_id] = submit_many(jobs, batch_size=10, app=service.app)
    results = wait(task_id, timeout=WAIT, app=service.app)
    assert [r["id"] for r in results] == [job["id"] for job in jobs]
    assert [labels(r) for r in results] == [labels(classifier.classify(job)) for job in jobs]


def test_stream_entries_carry_job_id_task_id_and_result_json(service: Service) -> None:
    job = variants(1, unique("stream"))[0]
    task_id = submit(job, app=service.app)
    result = wait(task_id, timeout=WAIT, app=service.app)
    [entry] = service.collect({job["id"]})[job["id"]]
    fields = service.redis.xrange(service.config.results_stream, entry.entry_id,
                                  entry.entry_id)[0][1]
    assert set(fields) == {b"id", b"task_id", b"result"}
    assert fields[b"id"].decode() == job["id"] and fields[b"task_id"].decode() == task_id
    assert json.loads(fields[b"result"]) == result
    dead_ids = {e.job_id for e in service.entries(service.config.dead_stream)}
    assert job["id"] not in dead_ids  # only error results are dead letters


def test_submit_gives_a_job_without_id_one_so_its_result_can_be_found(service: Service) -> None:
    task_id = submit({"text": "A paragraph.\n\nAnother one."}, app=service.app)
    result = wait(task_id, timeout=WAIT, app=service.app)
    assert result["status"] == "ok" and len(result["id"]) == 32
    assert [e.task_id for e in service.collect({result["id"]})[result["id"]]] == [task_id]


def test_the_same_delivery_twice_publishes_one_result(service: Service) -> None:
    """What a broker redelivery looks like to the worker: the same task id again."""
    job = variants(1, unique("redeliver"))[0]
    task_id = submit(job, app=service.app)
    wait(task_id, timeout=WAIT, app=service.app)
    service.app.send_task(CLASSIFY, args=[job], task_id=task_id)
    marker = submit(variants(1, unique("after"))[0], app=service.app)  # queued behind it
    wait(marker, timeout=WAIT, app=service.app)
    assert service.drained()
    assert len(service.collect({job["id"]})[job["id"]]) == 1


BAD_JOBS = {
    "malformed_json": '{"id": "x", "text": ',
    "undecodable": b"\xff\xfe{\x00garbage",
    "wrong_type": {"text": ["not", "a", "string"]},
    "no_input": {"url": "https://example.org/a"},
    "ambiguous_input": {"text": "one", "html": "<p>two</p>"},
    "too_large": {"text": "x" * 10_000_001},
    "empty_input": {"paragraphs": []},
}


@pytest.mark.parametrize("code", sorted(BAD_JOBS))
def test_bad_job_gives_error_result_and_dead_letter_and_worker_keeps_serving(
        service: Service, code: str) -> None:
    bad = BAD_JOBS[code]
    if isinstance(bad, dict):
        bad = {"id": unique(code), **bad}
    task_id = submit(bad, app=service.app)
    result = wait(task_id, timeout=WAIT, app=service.app)
    assert result["status"] == "error" and result["error"]["code"] == code
    dead = [e for e in service.entries(service.config.dead_stream) if e.task_id == task_id]
    assert len(dead) == 1 and dead[0].result == result
    if isinstance(bad, (str, bytes)):  # the job exactly as it arrived
        assert dead[0].job == (bad.encode() if isinstance(bad, str) else bad)
    else:
        assert json.loads(dead[0].job) == bad
    results = [e for e in service.entries() if e.task_id == task_id]
    assert [e.result for e in results] == [result]
    good = variants(1, unique("after-bad"))[0]
    assert wait(submit(good, app=service.app), timeout=WAIT, app=service.app)["status"] == "ok"


@pytest.mark.parametrize("args", [["just text"], [["a", "list"]], [42], [None], [],
                                  [{"text": "a"}, "extra argument"]])
def test_anything_a_producer_sends_is_answered_never_raised(service: Service, args: list) -> None:
    task_id = service.app.send_task(CLASSIFY, args=args).id
    result = AsyncResult(task_id, app=service.app).get(timeout=WAIT)
    assert result["status"] == "error"
    assert result["error"]["code"] in {"malformed_json", "wrong_type"}
    [dead] = [e for e in service.entries(service.config.dead_stream) if e.task_id == task_id]
    if len(args) > 1:  # not one job: the dead letter keeps the whole call
        assert json.loads(dead.job) == {"args": args, "kwargs": {}}


def test_batch_task_given_no_list_answers_with_an_error(service: Service) -> None:
    task_id = service.app.send_task(CLASSIFY_BATCH, args=[{"text": "not in a list"}]).id
    [result] = AsyncResult(task_id, app=service.app).get(timeout=WAIT)
    assert result["error"]["code"] == "wrong_type"


def test_batch_with_good_and_bad_jobs_dead_letters_only_the_bad(service: Service) -> None:
    good = variants(2, unique("mixed"))
    bad = {"id": unique("mixed-bad"), "paragraphs": "not a list"}
    results = wait(submit_many([good[0], bad, good[1]], batch_size=3, app=service.app)[0],
                   timeout=WAIT, app=service.app)
    assert [r["status"] for r in results] == ["ok", "error", "ok"]
    dead = service.collect({bad["id"]}, stream=service.config.dead_stream)[bad["id"]]
    assert len(dead) == 1 and json.loads(dead[0].job) == bad
    assert not {job["id"] for job in good} & {e.job_id for e in service.entries(
        service.config.dead_stream)}


class _Exploit:
    """Unpickling this creates a file: proof that a pickle payload was executed."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickle_message_is_refused_not_executed(service: Service, tmp_path: Path) -> None:
    marker = tmp_path / "pickle-was-executed"
    pickled = service.app.send_task(CLASSIFY, args=[_Exploit(marker)], serializer="pickle")
    good = variants(1, unique("after-pickle"))[0]
    assert wait(submit(good, app=service.app), timeout=WAIT, app=service.app)["status"] == "ok"
    assert service.drained()
    answer = service.collect_tasks({pickled.id})[pickled.id]
    assert answer.result["error"]["code"] == "malformed_message"
    assert not marker.exists()
    assert "refusing to deserialize untrusted content of type pickle" in \
        service.log_of("shared").lower()


def test_500_jobs_of_every_kind_give_500_results_with_in_process_labels(
        service: Service) -> None:
    jobs = variants(500, unique("load"))
    singles, batched = jobs[:300], jobs[300:]
    submit_many(singles, app=service.app)
    submit_many(batched, batch_size=20, app=service.app)
    expected = {job["id"]: labels(classifier.classify(job)) for job in jobs}
    found = service.collect(set(expected))
    assert service.drained()
    found = service.collect(set(expected))
    assert sum(len(entries) for entries in found.values()) == 500
    assert {job_id: labels(entries[0].result) for job_id, entries in found.items()} == expected


def test_a_producer_without_celery_enqueues_with_one_raw_redis_lpush(service: Service) -> None:
    """The route for producers in other languages: a Celery protocol-2 message, JSON in JSON."""
    job = variants(1, unique("raw"))[0]
    task_id = str(uuid.uuid4())
    body = [[job], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
    message = raw_message(json.dumps(body).encode(), task_id)
    service.redis.lpush("celery", message)
    [entry] = service.collect({job["id"]})[job["id"]]
    assert entry.task_id == task_id and labels(entry.result) == labels(classifier.classify(job))
