"""Faults a deployment meets, with real processes: a worker killed with SIGKILL, Redis restarted
or not there yet, a results consumer that dies holding entries. Nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable

import jsonschema
import pytest
import redis

from classifier.schemas import load_schema
from worker import ledger
from worker.client import ResultsReader, follow, submit, submit_many, wait
from worker.config import Config
from worker.publish import ATTEMPTS, Delivery, Publisher
from worker.redis_server import RedisServer, free_port
from worker.service import kill_group, stop_processes, wait_ready
from worker.streams import connect
from worker.testing import WAIT, Service, service_env, unique, variants

pytestmark = pytest.mark.integration


def exactly_once(service: Service, job_ids: set[str]) -> Counter:
    found = service.collect(job_ids)
    assert service.drained(), "jobs still queued or unacknowledged"
    found = service.collect(job_ids)  # again, now that no redelivery can add to it
    return Counter(len(entries) for entries in found.values())


def test_worker_killed_mid_run_every_job_gets_exactly_one_result(own_service: Service) -> None:
    jobs = variants(300, unique("kill"))
    ids = {job["id"] for job in jobs}
    submit_many(jobs, batch_size=5, app=own_service.app)
    victim = own_service.worker("victim", concurrency=2)
    own_service.collect({jobs[20]["id"], jobs[21]["id"]})  # well into the run
    # Between one batch's ack and the next fetch nothing is in flight (seen once in CI): kill
    # only once something is.
    deadline = time.monotonic() + WAIT
    while not own_service.redis.hlen("unacked") and time.monotonic() < deadline:
        time.sleep(0.001)
    kill_group(victim)  # SIGKILL to the worker and its pool processes
    assert own_service.redis.hlen("unacked"), "jobs in flight must be delivered again"
    done_before = len({e.job_id for e in own_service.entries()} & ids)
    assert 0 < done_before < len(jobs), "the kill must land in the middle of the run"
    own_service.worker("rescuer", concurrency=2)
    assert exactly_once(own_service, ids) == Counter({1: len(jobs)})


def test_a_task_the_broker_dropped_is_sent_again_and_answered_once(own_service: Service) -> None:
    # Recorded by a producer but never delivered: what kombu's Redis transport does to a message
    # taken off the queue by a worker killed before it noted the message as unacknowledged.
    jobs = variants(3, unique("dropped"))
    ledger.record(own_service.redis, [(f"dropped-{n}", "parasift.classify", job)
                                      for n, job in enumerate(jobs)])
    own_service.worker("rescuer", concurrency=1)
    assert exactly_once(own_service, {job["id"] for job in jobs}) == Counter({1: len(jobs)})
    assert not own_service.redis.hlen(ledger.TASKS)


def kill_every_run(service: Service, task_ids: set[str], done: Callable[[], bool]) -> Counter:
    """SIGKILL the pool process running one of ``task_ids`` as the job gets going, as the OOM
    killer or a segfault in it would, until ``done()``; how often each task was killed. A run
    gets going once it has counted itself (worker.publish.ATTEMPTS); one counted past
    PARASIFT_MAX_ATTEMPTS only publishes ``worker_lost`` and is left alone."""
    spared: set[int] = set()
    kills: Counter = Counter()
    deadline = time.monotonic() + WAIT
    while not done() and time.monotonic() < deadline:
        replies = service.app.control.inspect(timeout=1, limit=1).active() or {}
        for task in (task for tasks in replies.values() for task in tasks):
            pid, task_id = task.get("worker_pid"), task["id"]
            if task_id not in task_ids or not pid or pid in spared:
                continue
            runs = int(service.redis.get(ATTEMPTS + task_id) or 0)
            if runs > service.config.max_attempts:
                spared.add(pid)
            elif runs > kills[task_id]:  # this run has counted itself: it is classifying
                os.kill(pid, signal.SIGKILL)
                kills[task_id] += 1
    return kills


# The ledger's resends are held off, so that every run of the poison jobs is a redelivery.
@pytest.mark.settings(PARASIFT_MAX_ATTEMPTS="3", PARASIFT_RESEND_AFTER="600")
def test_a_job_that_kills_its_pool_process_is_answered_worker_lost_after_max_attempts(
        own_service: Service) -> None:
    # Long enough (seconds) to be caught running; it never gets to finish.
    poison = [{"id": unique(f"poison-{n}"),
               "paragraphs": [f"Paragraph {i} of a very long page." for i in range(40_000)]}
              for n in range(2)]
    innocent = variants(16, unique("innocent"))
    worker = own_service.worker("crashy", concurrency=2)
    submit_many(innocent[:6], app=own_service.app)
    single = submit(poison[0], app=own_service.app)
    [batch] = submit_many([poison[1], innocent[6]], batch_size=2, app=own_service.app)
    submit_many(innocent[7:12], app=own_service.app)
    submit_many(innocent[12:], batch_size=2, app=own_service.app)
    lost = {poison[0]["id"], poison[1]["id"], innocent[6]["id"]}
    kills = kill_every_run(own_service, {single, batch},
                           lambda: lost <= {e.job_id for e in own_service.entries()})
    assert kills == Counter({single: 3, batch: 3})
    every = {job["id"] for job in poison + innocent}
    assert exactly_once(own_service, every) == Counter({1: len(every)})
    results = {e.job_id: e.result for e in own_service.entries() if e.job_id in every}
    assert {i for i, r in results.items() if r["status"] != "ok"} == lost
    for job_id in lost:
        assert results[job_id]["error"] == {
            "code": "worker_lost",
            "message": "the job crashed its worker process 3 times; it is not run again"}
        jsonschema.validate(results[job_id], load_schema("result"))
    dead = [e.job_id for e in own_service.entries(own_service.config.dead_stream)]
    assert sorted(dead) == sorted(lost)
    assert not own_service.redis.exists(ATTEMPTS + single, ATTEMPTS + batch)
    assert worker.poll() is None  # the worker lived through it, and still answers
    after = variants(1, unique("after-crashes"))[0]
    assert wait(submit(after, app=own_service.app), timeout=WAIT,
                app=own_service.app)["status"] == "ok"


def test_redis_restart_keeps_queued_jobs_and_unread_results(own_redis: RedisServer,
                                                            own_service: Service) -> None:
    first, queued, later = (variants(20, unique(p)) for p in ("before", "queued", "after"))
    worker = own_service.worker("one")
    submit_many(first, app=own_service.app)
    own_service.collect({job["id"] for job in first})
    stop_processes([worker])
    submit_many(queued, batch_size=4, app=own_service.app)  # no worker: they wait in Redis
    own_redis.restart()
    assert own_service.redis.llen(own_service.config.queue) == 5
    assert len(own_service.entries()) == 20  # results nobody had read yet survived
    worker = own_service.worker("two")
    own_service.collect({job["id"] for job in queued})
    own_redis.restart()  # again, under a running worker: it reconnects
    submit_many(later, app=own_service.app)
    ids = {job["id"] for job in first + queued + later}
    assert exactly_once(own_service, ids) == Counter({1: 60})


def test_worker_started_before_redis_waits_and_connects(tmp_path) -> None:
    server = RedisServer(port=free_port(), directory=tmp_path / "redis")
    service = Service(service_env(server.url), tmp_path / "logs")
    worker = service.worker("early")
    try:
        time.sleep(1)  # the worker is up and finds nobody at the broker URL
        assert worker.poll() is None
        with server:
            wait_ready(service.app, ["early"], [worker], timeout=WAIT)
            job = variants(1, unique("late-redis"))[0]
            task_id = submit_many([job], app=service.app)[0]
            assert wait(task_id, timeout=WAIT, app=service.app)["id"] == job["id"]
            stop_processes([worker])
    finally:
        stop_processes([worker])


def _publisher(server: RedisServer, **settings: str) -> Publisher:
    config = Config.from_env(service_env(server.url, **settings))
    return Publisher(connect(config.streams_url), config)


def test_publish_retries_until_redis_is_back_and_publishes_once(own_redis: RedisServer) -> None:
    publisher = _publisher(own_redis, PARASIFT_PUBLISH_RETRY_SECONDS="60")
    result = {"id": "j1", "status": "ok", "paragraphs": []}
    own_redis.stop()
    threading.Timer(1.0, own_redis.start).start()
    assert publisher.publish("task-1", [Delivery("task-1", {"id": "j1"}, result)]) == 1
    assert publisher.publish("task-1", [Delivery("task-1", {"id": "j1"}, result)]) == 0
    assert publisher.client.xlen(publisher.config.results_stream) == 1


def test_publish_waits_out_a_read_only_redis_as_in_a_failover(own_redis: RedisServer) -> None:
    publisher = _publisher(own_redis, PARASIFT_PUBLISH_RETRY_SECONDS="60")
    publisher.client.execute_command("REPLICAOF", "127.0.0.1", "1")  # READONLY from now on
    assert publisher.count_attempt("task-ro") == 0  # not counted, but the run goes ahead
    promote = threading.Timer(1.0, publisher.client.execute_command, ("REPLICAOF", "NO", "ONE"))
    promote.start()
    result = {"id": "j-ro", "status": "ok", "paragraphs": []}
    assert publisher.publish("task-ro", [Delivery("task-ro", {"id": "j-ro"}, result)]) == 1
    assert publisher.client.xlen(publisher.config.results_stream) == 1


def test_publish_gives_up_when_redis_stays_away(own_redis: RedisServer) -> None:
    publisher = _publisher(own_redis, PARASIFT_PUBLISH_RETRY_SECONDS="0.5")
    own_redis.stop()
    with pytest.raises(redis.ConnectionError):
        publisher.publish("task-2", [Delivery("task-2", {}, {"id": None, "status": "ok"})])


def test_publishing_clears_the_attempt_count_so_a_resent_copy_starts_again(
        own_redis: RedisServer) -> None:
    publisher = _publisher(own_redis)
    assert [publisher.count_attempt("t1") for _ in range(3)] == [1, 2, 3]
    assert 0 < publisher.client.ttl(ATTEMPTS + "t1") <= publisher.config.dedup_ttl
    publisher.publish("t1", [Delivery("t1", {}, {"id": "j1", "status": "ok"})])
    assert publisher.count_attempt("t1") == 1
    own_redis.stop()
    assert publisher.count_attempt("t1") == 0  # not counted, but the run goes ahead


def test_a_dead_consumers_pending_results_are_reclaimed(own_redis: RedisServer) -> None:
    publisher = _publisher(own_redis)
    stream = publisher.config.results_stream
    publisher.publish("batch", [Delivery(f"t{n}", {}, {"id": f"job-{n}", "status": "ok"})
                       for n in range(10)])
    client = connect(own_redis.url)
    doomed = ResultsReader(client, stream, "indexer", "doomed")
    held = doomed.read(count=4)  # ... and dies before acknowledging them
    assert [e.job_id for e in held] == [f"job-{n}" for n in range(4)]
    survivor = ResultsReader(client, stream, "indexer", "survivor")
    own = survivor.read(count=100)
    assert [e.job_id for e in own] == [f"job-{n}" for n in range(4, 10)]
    assert survivor.ack(own) == 6
    assert survivor.reclaim(min_idle_ms=60_000) == []  # not idle long enough yet
    # Restarted under its name, a consumer gets back what it held (unless reclaimed first).
    assert [e.job_id for e in doomed.read(pending=True)] == [e.job_id for e in held]
    time.sleep(0.2)
    reclaimed = survivor.reclaim(min_idle_ms=100)
    assert [e.job_id for e in reclaimed] == [e.job_id for e in held]
    assert [e.result for e in reclaimed] == [e.result for e in held]
    owners = client.xpending_range(stream, "indexer", min="-", max="+", count=100)
    assert {owner["consumer"] for owner in owners} == {b"survivor"}
    assert survivor.ack(reclaimed) == 4
    assert survivor.pending_count() == 0


def test_follow_yields_entries_as_they_arrive(own_redis: RedisServer) -> None:
    publisher = _publisher(own_redis)
    stream = publisher.config.results_stream
    client = connect(own_redis.url)
    publisher.publish("f1", [Delivery("f1", {}, {"id": "old", "status": "ok"})])
    from_start, from_now = follow(client, stream, after="0"), follow(client, stream, block_ms=500)
    assert next(from_start).job_id == "old"
    threading.Timer(0.3, publisher.publish,
                    ["f2", [Delivery("f2", {}, {"id": "new", "status": "ok"})]]).start()
    assert next(from_now).job_id == "new"  # the entry from before it started is not repeated
    assert next(from_start).job_id == "new"
