"""The results and dead-letter streams as seen from Redis: connecting, encoding, decoding entries.

An entry of either stream has fields ``id`` (the job id, "" when the job had none), ``task_id``
(the Celery task that produced it, with ``:N`` for the job at position N of a batch, from 0) and
``result`` (the result message as JSON); dead letters also have ``job``, the original job as
the worker got it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis
from kombu.utils import json as kombu_json
from redis.backoff import NoBackoff
from redis.retry import Retry


def connect(url: str) -> redis.Redis:
    """A client that fails fast on a dead connection: callers decide how long to retry."""
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30,
                                socket_keepalive=True, health_check_interval=30,
                                retry=Retry(NoBackoff(), 0))


def dump_result(result: dict[str, Any]) -> bytes:
    text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates in the input: \u escapes keep it valid JSON
        return json.dumps(result, separators=(",", ":")).encode("ascii")


def dump_job(job: Any) -> bytes:
    """The job as it arrived: raw text or bytes unchanged, anything else as kombu's JSON
    (which keeps bytes values, so a dead letter can be sent again exactly)."""
    if isinstance(job, bytes):
        return job
    if isinstance(job, str):
        return job.encode("utf-8", "surrogatepass")
    return kombu_json.dumps(job).encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Entry:
    entry_id: str
    job_id: str | None
    task_id: str
    result: dict[str, Any]
    job: bytes | None = None  # dead letters only


def decode_entry(entry_id: bytes | str, fields: dict[bytes, bytes]) -> Entry:
    text = {key.decode(): value for key, value in fields.items()}
    return Entry(
        entry_id=entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
        job_id=text.get("id", b"").decode() or None,
        task_id=text.get("task_id", b"").decode(),
        result=json.loads(text["result"]),
        job=text.get("job"),
    )


def read_all(client: redis.Redis, stream: str, count: int = 1000) -> list[Entry]:
    """Every entry of a stream, oldest first, read in pages of ``count``."""
    entries: list[Entry] = []
    start = "-"
    while True:
        page = client.xrange(stream, min=start, count=count)
        entries.extend(decode_entry(entry_id, fields) for entry_id, fields in page)
        if len(page) < count:
            return entries
        start = "(" + page[-1][0].decode()
