"""Every setting of the parasift service, read from environment variables.

``SETTINGS`` below is the one table of them (name, default, meaning); the README and docker/ are
generated from it, and ``python -m worker.config`` prints it as markdown. The table is also
appended to this docstring, so ``help(worker.config)`` lists each setting.

Defaults suit one machine: a Redis on localhost, streams and dedup keys in the same Redis as the
results. An empty variable counts as unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("PARASIFT_BROKER_URL", "redis://127.0.0.1:6379/0",
            "Celery broker. Unset, `parasift run` starts an embedded redis-server instead."),
    Setting("PARASIFT_RESULT_BACKEND", "(the broker URL)",
            "Celery result backend, where `wait()` finds task results."),
    Setting("PARASIFT_STREAMS_URL", "(the result backend URL)",
            "The Redis that holds the results and dead-letter streams."),
    Setting("PARASIFT_QUEUE", "celery", "Queue the tasks are sent to and workers listen on."),
    Setting("PARASIFT_RESULTS_STREAM", "parasift:results",
            "Stream of every result, fields `id`, `task_id`, `result` (JSON)."),
    Setting("PARASIFT_RESULTS_MAXLEN", "100000",
            "Approximate cap on the results stream length (XADD MAXLEN ~)."),
    Setting("PARASIFT_DEAD_STREAM", "parasift:dead",
            "Dead letters: error results with the original job in field `job`."),
    Setting("PARASIFT_DEAD_MAXLEN", "100000", "Approximate cap on the dead-letter stream length."),
    Setting("PARASIFT_DEDUP_TTL", "604800",
            "Seconds a delivery is remembered as published, so a redelivery never publishes "
            "twice. Keep it well above the visibility timeout."),
    Setting("PARASIFT_PUBLISH_RETRY_SECONDS", "60",
            "How long publishing retries, with backoff, while Redis is unreachable."),
    Setting("PARASIFT_TASK_TIME_LIMIT", "120",
            "Hard limit in seconds: the pool process running the task is killed."),
    Setting("PARASIFT_TASK_SOFT_TIME_LIMIT", "100",
            "Soft limit in seconds: the job ends with error code `time_limit`. "
            "Ignored unless below the hard limit."),
    Setting("PARASIFT_VISIBILITY_TIMEOUT", "3600",
            "Seconds before a job taken by a worker that died is delivered again (Redis broker). "
            "Keep it above the task time limit, or a slow job is delivered twice."),
    Setting("PARASIFT_RESEND_AFTER", "(visibility timeout + task time limit + 60)",
            "Seconds after which a task sent through worker.client and still unanswered is sent "
            "again (the broker may have dropped it; see worker/ledger.py)."),
    Setting("PARASIFT_RESEND_INTERVAL", "30",
            "How often, in seconds, each worker looks for such unanswered tasks."),
    Setting("PARASIFT_MAX_ATTEMPTS", "3",
            "Runs of a task that die with their pool process (out of memory, a crash) before the "
            "task is answered with error `worker_lost` instead of running again; for a batch "
            "task, every job of the batch."),
    Setting("PARASIFT_CONCURRENCY", "(number of CPUs)",
            "Pool processes per worker; they share the model the worker loaded once."),
    Setting("PARASIFT_PREFETCH_MULTIPLIER", "1",
            "Jobs a pool process reserves ahead; 1 keeps a slow job from holding others back."),
    Setting("PARASIFT_RESULT_EXPIRES", "86400", "Seconds task results stay in the backend."),
    Setting("PARASIFT_MODEL", "(the shipped model)",
            "Model directory (model.joblib and manifest.json), read by the classifier."),
    Setting("PARASIFT_MAX_BYTES", "10000000",
            "Largest text/html/paragraphs of one job, in UTF-8 bytes (error `too_large`)."),
    Setting("PARASIFT_MAX_PARAGRAPHS", "50000", "Most paragraphs in one job (error `too_large`)."),
    Setting("PARASIFT_MAX_PARAGRAPH_CHARS", "200000", "Longest paragraph the classifier reads."),
    Setting("PARASIFT_FLOWER_PORT", "5555", "Port of Flower started by `parasift run`."),
    Setting("PARASIFT_LOG_LEVEL", "INFO", "Log level of workers started by `parasift run`."),
)


def markdown_table() -> str:
    rows = [f"| `{s.name}` | `{s.default}` | {s.doc} |" for s in SETTINGS]
    return "\n".join(["| variable | default | meaning |", "| --- | --- | --- |", *rows])


__doc__ = f"{__doc__}\n{markdown_table()}\n"

_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


def verified(url: str) -> str:
    """A ``rediss://`` URL that does not say how to check the server's certificate gets
    ``ssl_cert_reqs=required``. Left out, the three clients would disagree: kombu (the broker)
    would not check the certificate at all, Celery's result backend would refuse the URL, and
    redis-py (the streams) would check it."""
    if urlsplit(url).scheme != "rediss" or "ssl_cert_reqs" in parse_qs(urlsplit(url).query):
        return url
    return f"{url}{'&' if '?' in url else '?'}ssl_cert_reqs=required"


@dataclass(frozen=True)
class Config:
    """The settings as typed values. ``broker_configured`` is False when the URL was defaulted."""

    broker_url: str
    broker_configured: bool
    result_backend: str
    streams_url: str
    queue: str
    results_stream: str
    results_maxlen: int
    dead_stream: str
    dead_maxlen: int
    dedup_ttl: int
    publish_retry_seconds: float
    task_time_limit: float
    task_soft_time_limit: float
    visibility_timeout: int
    resend_after: float
    resend_interval: float
    max_attempts: int
    concurrency: int
    prefetch_multiplier: int
    result_expires: int
    flower_port: int
    log_level: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = {k: v for k, v in (os.environ if environ is None else environ).items() if v}

        def get(name: str) -> str:
            return env.get(name, _DEFAULTS[name])

        broker = verified(get("PARASIFT_BROKER_URL"))
        backend = verified(env.get("PARASIFT_RESULT_BACKEND", broker))
        return cls(
            broker_url=broker,
            broker_configured="PARASIFT_BROKER_URL" in env,
            result_backend=backend,
            streams_url=verified(env.get("PARASIFT_STREAMS_URL", backend)),
            queue=get("PARASIFT_QUEUE"),
            results_stream=get("PARASIFT_RESULTS_STREAM"),
            results_maxlen=int(get("PARASIFT_RESULTS_MAXLEN")),
            dead_stream=get("PARASIFT_DEAD_STREAM"),
            dead_maxlen=int(get("PARASIFT_DEAD_MAXLEN")),
            dedup_ttl=int(get("PARASIFT_DEDUP_TTL")),
            publish_retry_seconds=float(get("PARASIFT_PUBLISH_RETRY_SECONDS")),
            task_time_limit=float(get("PARASIFT_TASK_TIME_LIMIT")),
            task_soft_time_limit=float(get("PARASIFT_TASK_SOFT_TIME_LIMIT")),
            visibility_timeout=int(get("PARASIFT_VISIBILITY_TIMEOUT")),
            resend_after=float(env.get("PARASIFT_RESEND_AFTER") or
                               int(get("PARASIFT_VISIBILITY_TIMEOUT"))
                               + float(get("PARASIFT_TASK_TIME_LIMIT")) + 60),
            resend_interval=float(get("PARASIFT_RESEND_INTERVAL")),
            max_attempts=int(get("PARASIFT_MAX_ATTEMPTS")),
            concurrency=int(env.get("PARASIFT_CONCURRENCY", os.cpu_count() or 1)),
            prefetch_multiplier=int(get("PARASIFT_PREFETCH_MULTIPLIER")),
            result_expires=int(get("PARASIFT_RESULT_EXPIRES")),
            flower_port=int(get("PARASIFT_FLOWER_PORT")),
            log_level=get("PARASIFT_LOG_LEVEL"),
        )


if __name__ == "__main__":
    print(markdown_table())
