"""Producers and consumers: enqueue jobs, wait for a result, read the results stream.

Nothing here imports the classifier or scikit-learn: jobs go out by task name (``send_task``),
so a producer needs only Celery and redis-py. Producers in other languages send the same task
names with the same JSON job (see ../shared/DESIGN.md) and read the same streams.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import redis
from celery import Celery
from celery.result import AsyncResult

from worker import ledger
from worker.app import app as default_app
from worker.config import Config
from worker.streams import Entry, connect, decode_entry

CLASSIFY = "parasift.classify"
CLASSIFY_BATCH = "parasift.classify_batch"

Job = dict[str, Any] | str | bytes


def with_id(job: Job) -> Job:
    """A dict job without an id gets a fresh one, so its result can be found in the stream.
    Other messages (JSON text, bytes) go as they are: the worker reads them, not the producer."""
    if isinstance(job, dict) and job.get("id") is None:
        return {**job, "id": uuid.uuid4().hex}
    return job


@lru_cache(maxsize=8)
def _ledger_redis(url: str) -> redis.Redis:
    return connect(url)


def _record(app: Celery, tasks: list[tuple[str, str, Any]]) -> None:
    """Write the tasks to the ledger the workers watch (worker.ledger) before they are sent,
    so that one the broker drops is sent again. Needs the results on Redis."""
    url = os.environ.get("PARASIFT_STREAMS_URL") or app.conf.result_backend or ""
    if str(url).startswith(("redis://", "rediss://", "unix://")):
        ledger.record(_ledger_redis(str(url)), tasks)


def submit(job: Job, app: Celery | None = None, queue: str | None = None) -> str:
    """Send one job to ``parasift.classify``; returns the Celery task id."""
    app = app or default_app
    task_id, job = str(uuid.uuid4()), with_id(job)
    _record(app, [(task_id, CLASSIFY, job)])
    return app.send_task(CLASSIFY, args=[job], queue=queue, task_id=task_id).id


def submit_many(jobs: Iterable[Job], batch_size: int = 1, app: Celery | None = None,
                queue: str | None = None) -> list[str]:
    """Send many jobs over one connection: one ``parasift.classify`` task per job, or with
    ``batch_size`` > 1 ``parasift.classify_batch`` tasks of that many jobs. Returns task ids."""
    app = app or default_app
    jobs = [with_id(job) for job in jobs]
    if batch_size > 1:
        tasks = [(CLASSIFY_BATCH, jobs[i:i + batch_size]) for i in range(0, len(jobs), batch_size)]
    else:
        tasks = [(CLASSIFY, job) for job in jobs]
    tasks_with_ids = [(str(uuid.uuid4()), name, arg) for name, arg in tasks]
    _record(app, tasks_with_ids)
    with app.producer_or_acquire() as producer:
        return [app.send_task(name, args=[arg], queue=queue, producer=producer,
                              task_id=task_id).id
                for task_id, name, arg in tasks_with_ids]


def wait(task_id: str, timeout: float | None = 60.0, app: Celery | None = None) -> Any:
    """The task's result: a result message, or a list of them for a batch task."""
    result = AsyncResult(task_id, app=app or default_app)
    try:
        return result.get(timeout=timeout, interval=0.05)
    except BaseException:
        # Stop listening for it now. The backend keeps an unanswered result until the
        # interpreter exits, and unsubscribing from Redis then fails with a traceback.
        result.backend.remove_pending_result(result)
        raise


def results_redis(config: Config | None = None) -> redis.Redis:
    return connect((config or Config.from_env()).streams_url)


def follow(client: redis.Redis, stream: str, after: str = "$",
           block_ms: int = 5000) -> Iterator[Entry]:
    """Every entry added after ``after`` ("0": from the start), as it arrives; runs forever."""
    if after == "$":  # pin "now" to an id, or entries added between two reads would be missed
        last = client.xrevrange(stream, count=1)
        after = last[0][0] if last else "0"
    while True:
        for _, entries in client.xread({stream: after}, block=block_ms, count=500) or []:
            for entry_id, fields in entries:
                after = entry_id
                yield decode_entry(entry_id, fields)


class ResultsReader:
    """One consumer of a consumer group on a stream. Each entry goes to one consumer of the group
    and stays pending until acknowledged, so a consumer that dies holding entries loses nothing:
    another consumer takes them over with ``reclaim``."""

    def __init__(self, client: redis.Redis, stream: str, group: str, consumer: str,
                 start: str = "0") -> None:
        self.client, self.stream, self.group, self.consumer = client, stream, group, consumer
        try:
            self.client.xgroup_create(stream, group, id=start, mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):  # the group exists: join it
                raise

    def read(self, count: int = 100, block_ms: int | None = None,
             pending: bool = False) -> list[Entry]:
        """New entries for this consumer; ``pending=True`` re-reads those it got and never
        acknowledged (after a restart under the same consumer name)."""
        reply = self.client.xreadgroup(self.group, self.consumer, {self.stream: "0" if pending
                                                                   else ">"},
                                       count=count, block=block_ms)
        return [decode_entry(entry_id, fields) for _, entries in reply or []
                for entry_id, fields in entries if fields]

    def ack(self, entries: Iterable[Entry]) -> int:
        ids = [entry.entry_id for entry in entries]
        return self.client.xack(self.stream, self.group, *ids) if ids else 0

    def reclaim(self, min_idle_ms: int, count: int = 100) -> list[Entry]:
        """Take over entries that other consumers have held unacknowledged for ``min_idle_ms``."""
        claimed: list[Entry] = []
        cursor = "0-0"
        while True:
            reply = self.client.xautoclaim(self.stream, self.group, self.consumer, min_idle_ms,
                                           start_id=cursor, count=count)
            cursor, entries = reply[0], reply[1]
            # Entries trimmed from the stream while pending come back empty: nothing to process.
            claimed += [decode_entry(entry_id, fields) for entry_id, fields in entries if fields]
            if cursor in (b"0-0", "0-0"):
                return claimed

    def pending_count(self) -> int:
        return self.client.xpending(self.stream, self.group)["pending"]
