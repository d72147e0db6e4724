"""Every setting of the parasift service, read from environment variables.

``SETTINGS`` below is the one table of them (name, default, meaning); ``parasift settings``
prints it as markdown, as the README shows it. The table is also
appended to this docstring, so ``help(worker.config)`` lists each setting.

Defaults suit one machine: a Redis on localhost, streams and dedup keys in the same Redis as the
results. An empty variable counts as unset.
"""

from __future__ import annotations

import logging
import math
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
    Setting("PARASIFT_MAX_PARAGRAPH_CHARS", "200000",
            "Longest paragraph accepted; a job with a longer one is refused (`too_large`)."),
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


class ConfigError(ValueError):
    """A setting the service cannot run with; the message names the variable and its value."""


# Brokers Celery is run with here, and the URLs redis-py (the streams) can open.
BROKER_SCHEMES = frozenset({"redis", "rediss", "redis+socket", "sentinel", "amqp", "amqps",
                            "pyamqp"})
REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


def _setting(env: Mapping[str, str], name: str) -> str:
    return env.get(name, _DEFAULTS[name])


def _number(env: Mapping[str, str], name: str, minimum: float, kind: type = int,
            default: str | None = None, maximum: float = math.inf) -> int | float:
    raw = env.get(name, default) if default is not None else _setting(env, name)
    try:
        value = kind(raw)
    except ValueError:
        value = math.nan
    if not minimum <= value <= maximum:  # also NaN, and a float where a whole number goes
        kind_name = "a whole number" if kind is int else "a number"
        upper = f" and at most {maximum:g}" if maximum < math.inf else ""
        raise ConfigError(f"{name}={raw!r}: expected {kind_name} of at least {minimum:g}{upper}")
    return value


def _url(name: str, value: str, schemes: frozenset[str], what: str) -> str:
    if urlsplit(value).scheme not in schemes:
        raise ConfigError(f"{name}={value!r}: not {what} ({', '.join(sorted(schemes))})")
    return verified(value)


def _log_level(name: str) -> str:
    if not isinstance(logging.getLevelName(name.upper()), int):
        raise ConfigError(f"PARASIFT_LOG_LEVEL={name!r}: use DEBUG, INFO, WARNING, ERROR or "
                          f"CRITICAL")
    return name.upper()


def _backends(env: Mapping[str, str], broker: str) -> tuple[str, str]:
    """The result backend and the streams' Redis: each defaults to the one before it, and a
    broker that is not Redis (RabbitMQ) cannot stand in for either."""
    backend = env.get("PARASIFT_RESULT_BACKEND")
    if backend is None:
        backend = broker if urlsplit(broker).scheme in REDIS_SCHEMES else \
            env.get("PARASIFT_STREAMS_URL")
    if backend is None:
        raise ConfigError("a broker that is not at a redis:// or rediss:// URL needs "
                          "PARASIFT_STREAMS_URL (or PARASIFT_RESULT_BACKEND) set to one: "
                          "results and streams live in Redis")
    if "PARASIFT_STREAMS_URL" not in env and urlsplit(backend).scheme not in REDIS_SCHEMES:
        raise ConfigError(f"PARASIFT_RESULT_BACKEND={backend!r} is not Redis, so "
                          f"PARASIFT_STREAMS_URL must name the Redis for the streams")
    streams = env.get("PARASIFT_STREAMS_URL", backend)
    return verified(backend), _url("PARASIFT_STREAMS_URL", streams, REDIS_SCHEMES,
                                   "a Redis URL")


@dataclass(frozen=True)
class Config:
    """The settings as typed values. ``broker_configured`` is False when the URL was defaulted.
    ``from_env`` refuses, with ``ConfigError``, a value the service would start with and then
    fail every job on (a negative stream length, a time limit of zero, a word for a number)."""

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
        broker = _url("PARASIFT_BROKER_URL", _setting(env, "PARASIFT_BROKER_URL"), BROKER_SCHEMES,
                      "a broker URL")
        backend, streams = _backends(env, broker)
        visibility = _number(env, "PARASIFT_VISIBILITY_TIMEOUT", 1)
        hard_limit = _number(env, "PARASIFT_TASK_TIME_LIMIT", 0.01, float)
        return cls(
            broker_url=broker,
            broker_configured="PARASIFT_BROKER_URL" in env,
            result_backend=backend,
            streams_url=streams,
            queue=_setting(env, "PARASIFT_QUEUE").strip() or _DEFAULTS["PARASIFT_QUEUE"],
            results_stream=_setting(env, "PARASIFT_RESULTS_STREAM"),
            results_maxlen=_number(env, "PARASIFT_RESULTS_MAXLEN", 1),
            dead_stream=_setting(env, "PARASIFT_DEAD_STREAM"),
            dead_maxlen=_number(env, "PARASIFT_DEAD_MAXLEN", 1),
            dedup_ttl=_number(env, "PARASIFT_DEDUP_TTL", 1),
            publish_retry_seconds=_number(env, "PARASIFT_PUBLISH_RETRY_SECONDS", 0, float),
            task_time_limit=hard_limit,
            task_soft_time_limit=_number(env, "PARASIFT_TASK_SOFT_TIME_LIMIT", 0.01, float),
            visibility_timeout=visibility,
            resend_after=_number(env, "PARASIFT_RESEND_AFTER", 0.01, float,
                                 default=str(visibility + hard_limit + 60)),
            resend_interval=_number(env, "PARASIFT_RESEND_INTERVAL", 0.01, float),
            max_attempts=_number(env, "PARASIFT_MAX_ATTEMPTS", 1),
            concurrency=_number(env, "PARASIFT_CONCURRENCY", 0,
                                default=str(os.cpu_count() or 1)),
            prefetch_multiplier=_number(env, "PARASIFT_PREFETCH_MULTIPLIER", 0),
            result_expires=_number(env, "PARASIFT_RESULT_EXPIRES", 1),
            flower_port=_number(env, "PARASIFT_FLOWER_PORT", 1, maximum=65535),
            log_level=_log_level(_setting(env, "PARASIFT_LOG_LEVEL")),
        )
