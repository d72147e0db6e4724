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

import logging
import uuid
from functools import cache
from typing import Any

from celery import Task
from celery.exceptions import Reject, SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import task_internal_error, worker_init, worker_ready

from classifier import InvalidInput, classify, classify_many, default_model
from classifier.jobs import error_result, job_id_of
from classifier.limits import Limits
from worker import ledger
from worker.app import app
from worker.config import Config
from worker.publish import UNAVAILABLE, Delivery, Publisher
from worker.refusals import REFUSE, is_callable, refuse_call
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
    except UNAVAILABLE as error:
        # Redis stayed away longer than the publish retries: put the job back on the queue
        # rather than acknowledge a job whose result went nowhere.
        raise Reject(f"cannot publish: {error}", requeue=True) from error


def refused(task_id: str | None, job: Any, id_from: Any, code: str, message: str,
            batch: bool) -> list[dict[str, Any]]:
    """Publish an error result for a message that could not run as a task: ``job`` goes to
    the dead letter, the result has the job id of ``id_from``, if any."""
    result = failure(id_from, code, message)
    publish(task_id, [job], [result], batch)
    return [result]


@app.task(name=REFUSE)
def refuse(task_id: str, job: Any, id_from: Any, code: str, message: str,
           batch: bool) -> list[dict[str, Any]]:
    """``refused`` for another task's message (worker.refusals); published under that task's
    id, so that answering it twice publishes once."""
    return refused(task_id, job, id_from, code, message, batch)


class ClassifyTask(Task):
    batch = False

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any,
                   einfo: Any) -> None:
        """A hard time limit kills the pool process; the worker's main process calls this, and
        the jobs still get their error results and dead letters. Celery also comes here when
        it cannot call the task with the message's arguments (``args`` null in a raw
        message)."""
        if not is_callable(args, kwargs):
            refuse_call(task_id, args, kwargs, self.batch, f"{self.name} cannot run: {exc}")
            return
        if not isinstance(exc, TimeLimitExceeded):
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
    a mapping (celery-node sends null when none are given), and only signals it."""
    if isinstance(sender, ClassifyTask) and not is_callable(args, kwargs):
        refuse_call(task_id, args, kwargs, sender.batch, f"{sender.name} cannot run: {exception}")


def answer(task: Task, jobs: list[Any],
           results: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Classify the jobs unless their results are given, publish the results, return them."""
    if results is None:
        results = worker_lost(task.request.id, jobs) or classify_all(jobs)
    publish(task.request.id, jobs, results, task.batch)
    return results


def call_of(task: Task) -> dict[str, Any]:
    """The call as the task got it, for the dead letter of a call with other than one job."""
    return {"args": task.request.args, "kwargs": task.request.kwargs}


@app.task(name="parasift.classify", bind=True, base=ClassifyTask)
def classify_job(self: Task, job: Any = None, *extra: Any, **unknown: Any) -> dict[str, Any]:
    """One job message in, its result message out (also appended to the results stream)."""
    if extra or unknown:
        return refused(self.request.id, call_of(self), job, "wrong_type",
                       "parasift.classify takes exactly one job", self.batch)[0]
    return answer(self, [job])[0]


@app.task(name="parasift.classify_batch", bind=True, base=ClassifyTask, batch=True)
def classify_batch(self: Task, jobs: Any = None, *extra: Any,
                   **unknown: Any) -> list[dict[str, Any]]:
    """A list of jobs in, the list of their results out; one stream entry per job."""
    if not isinstance(jobs, list) or extra or unknown:
        return refused(self.request.id, call_of(self), jobs, "wrong_type",
                       "parasift.classify_batch takes a list of jobs", self.batch)
    return answer(self, jobs)
