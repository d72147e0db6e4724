"""The two tasks, ``parasift.classify`` and ``parasift.classify_batch``: classify, publish, return.

Nothing a producer sends makes a task raise: a job that is not a dict (text, bytes, a list, a
number, None, a missing argument) goes to ``classifier.classify`` like any other and comes back as
an error result; a bug or a time limit becomes an error result too, and so does a task whose
runs keep killing their pool process (``worker_lost``), a call Celery cannot make (arguments that
are not a list, keyword arguments that are not a mapping) and a message that is no task call at
all (worker.consumer). Every error result is also a dead letter, so no job disappears without a
trace.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from functools import cache
from typing import Any

import redis
from celery import Task
from celery.exceptions import Reject, SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import task_internal_error, worker_init, worker_ready

from classifier import InvalidInput, classify, classify_many, default_model
from classifier.jobs import error_result, job_id_of
from classifier.limits import Limits
from worker import ledger
from worker.app import app
from worker.config import Config
from worker.publish import Delivery, Publisher
from worker.streams import connect

log = logging.getLogger(__name__)


@worker_init.connect
def load_model(**_: Any) -> None:
    """Load the model in the worker's main process, before the pool forks: pool processes inherit
    it (loaded once per worker, not per job), and a missing or tampered model stops the worker at
    start instead of failing every job."""
    try:
        limits()  # the size limits are read from the environment too: refuse bad ones now
    except ValueError as error:
        raise SystemExit(f"parasift worker: {error}") from error
    try:
        info = default_model().info
    except Exception as error:
        # Celery logs and swallows exceptions from signal handlers; SystemExit gets through.
        raise SystemExit(f"parasift worker: cannot load the model: {error}") from error
    log.info("parasift model loaded: %s", info)


@worker_ready.connect
def resend_unanswered(**_: Any) -> None:
    """Send again what producers recorded but no worker answered (see worker.ledger)."""
    config = Config.from_env()
    ledger.start_resender(
        connect(config.streams_url),
        lambda name, arg, task_id: app.send_task(name, args=[arg], task_id=task_id),
        older_than=config.resend_after, interval=config.resend_interval)


@cache
def publisher() -> Publisher:
    # Created lazily in each pool process: Redis connections must not be shared across fork.
    config = Config.from_env()
    return Publisher(connect(config.streams_url), config)


@cache
def limits() -> Limits:
    return Limits.from_env()


def failure(job: Any, code: str, message: str) -> dict[str, Any]:
    return error_result(job_id_of(job), InvalidInput(message, code=code))


def classify_all(jobs: list[Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    try:
        try:
            return classify_many(jobs, default_model(), limits())
        except SoftTimeLimitExceeded:
            raise
        except Exception:  # a bug, not the jobs' fault: one by one, only the job at fault fails
            log.exception("classifying a batch of %d jobs failed; trying them one by one",
                          len(jobs))
        for job in jobs:
            results.append(classify_one(job))
    except SoftTimeLimitExceeded:
        # The rest of a batch would run into the hard limit too: answer them all now.
        results += [failure(job, "time_limit", "the task's soft time limit was reached")
                    for job in jobs[len(results):]]
    return results


def classify_one(job: Any) -> dict[str, Any]:
    try:
        return classify(job, default_model(), limits())
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:  # a bug, not the job's fault: answer and dead-letter
        log.exception("classifying job %r failed", job_id_of(job))
        return failure(job, "internal_error", f"{type(error).__name__}: {error}")


def worker_lost(task_id: str | None, jobs: list[Any]) -> list[dict[str, Any]] | None:
    """Counts this run of the task; once PARASIFT_MAX_ATTEMPTS runs before it have died with
    their pool process, error results for its jobs instead of another run (for a batch, every
    job: the one that crashes it cannot be told from the others). None: run it.

    Runs are counted, not sends, and publishing clears the count, so the ledger's resends never
    add up to an error by themselves: a task the broker dropped never ran, and its resend is its
    first run; a resent copy of a task that was only slow starts from one again once the first
    copy publishes. Under the default settings the ledger resends only after the visibility
    timeout plus the time limit, by when every earlier run has published or died."""
    if task_id is None:  # called in-process, not delivered by a broker
        return None
    crashed = publisher().count_attempt(task_id) - 1
    if crashed < publisher().config.max_attempts:
        return None
    message = f"the job crashed its worker process {crashed} times; it is not run again"
    log.error("task %s: %s", task_id, message)
    return [failure(job, "worker_lost", message) for job in jobs]


def publish(task_id: str | None, jobs: list[Any], results: list[dict[str, Any]],
            batch: bool) -> None:
    task_id = task_id or uuid.uuid4().hex  # called directly, not through a broker
    ids = [f"{task_id}:{index}" for index in range(len(jobs))] if batch else [task_id]
    deliveries = [Delivery(delivery_id, job, result)
                  for delivery_id, job, result in zip(ids, jobs, results, strict=True)]
    try:
        publisher().publish(task_id, deliveries)
    except (redis.ConnectionError, redis.TimeoutError) as error:
        # Redis stayed away longer than the publish retries: put the job back on the queue
        # rather than acknowledge a job whose result went nowhere.
        raise Reject(f"cannot publish: {error}", requeue=True) from error


def refuse_call(task_id: str | None, args: Any, kwargs: Any, batch: bool,
                message: str) -> list[dict[str, Any]]:
    """Answer a call that is not one job (or one list of jobs): the error result has the first
    argument's job id, if any, and the dead letter holds the whole call."""
    first = args[0] if isinstance(args, (list, tuple)) and args else None
    result = failure(first, "wrong_type", message)
    publish(task_id, [{"args": args, "kwargs": kwargs}], [result], batch)
    return [result]


def refuse_message(headers: Any, body: bytes | str, reason: object) -> None:
    """Answer a message that is no task call (see worker.consumer and worker.transport), with
    its body as the dead letter's job; keyed by its task id, or by its body when it has none,
    so that a redelivery is answered once."""
    task_id = headers.get("id") if isinstance(headers, dict) else None
    raw = body if isinstance(body, bytes) else str(body).encode("utf-8", "surrogatepass")
    task_id = str(task_id or hashlib.sha256(raw).hexdigest())
    result = failure(None, "malformed_message", f"not a task call parasift can run: {reason}")
    # Redis away: the error propagates as a lost connection, and the message is read again.
    publisher().publish(task_id, [Delivery(task_id, body, result)])


class ClassifyTask(Task):
    batch = False

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any,
                   einfo: Any) -> None:
        """A hard time limit kills the pool process; the worker's main process calls this, and
        the jobs still get their error results and dead letters. Any other failure is a call
        that could not be made (the task's body answers everything else), such as ``args``
        null in a raw message."""
        if not isinstance(exc, TimeLimitExceeded):
            refuse_call(task_id, args, kwargs, self.batch, f"{self.name} cannot run: {exc}")
            return
        job = args[0] if args else kwargs.get("job", kwargs.get("jobs"))
        jobs = job if self.batch and isinstance(job, list) else [job]
        results = [failure(j, "time_limit", "the task's hard time limit was reached")
                   for j in jobs]
        publish(task_id, jobs, results, self.batch)


@task_internal_error.connect
def answer_uncallable(sender: Task, task_id: str, args: Any, kwargs: Any, exception: Exception,
                      **_: Any) -> None:
    """Celery fails some calls before the task starts, such as keyword arguments that are not
    a mapping (celery-node sends null when none are given), and only signals it. An error
    after the task published is harmless here: its delivery was answered already."""
    if isinstance(sender, ClassifyTask):
        refuse_call(task_id, args, kwargs, sender.batch, f"{sender.name} cannot run: {exception}")


def answer(task: Task, jobs: list[Any],
           results: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Classify the jobs unless their results are given, publish the results, return them."""
    if results is None:
        results = worker_lost(task.request.id, jobs) or classify_all(jobs)
    publish(task.request.id, jobs, results, task.batch)
    return results


@app.task(name="parasift.classify", bind=True, base=ClassifyTask)
def classify_job(self: Task, job: Any = None, *extra: Any, **unknown: Any) -> dict[str, Any]:
    """One job message in, its result message out (also appended to the results stream)."""
    if extra or unknown:
        return refuse_call(self.request.id, self.request.args, self.request.kwargs, self.batch,
                           "parasift.classify takes exactly one job")[0]
    return answer(self, [job])[0]


@app.task(name="parasift.classify_batch", bind=True, base=ClassifyTask, batch=True)
def classify_batch(self: Task, jobs: Any = None, *extra: Any,
                   **unknown: Any) -> list[dict[str, Any]]:
    """A list of jobs in, the list of their results out; one stream entry per job."""
    if not isinstance(jobs, list) or extra or unknown:
        return refuse_call(self.request.id, self.request.args, self.request.kwargs, self.batch,
                           "parasift.classify_batch takes a list of jobs")
    return answer(self, jobs)
