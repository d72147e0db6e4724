"""Messages that could not run as a task, handed to ``parasift.refuse`` to be answered.

The consumer's event loop (worker.consumer), kombu's read loop (worker.transport) and Celery's
signal and failure handlers must not publish results themselves: publishing waits and retries
while the results Redis is away, and a failure there would stop the worker, or be swallowed and
the message lost. Sending a ``parasift.refuse`` task only writes to the broker they already use;
a pool process then publishes the error result with the retries and requeueing of any task
(worker.tasks.refuse). Nothing here imports the classifier: producers load this module too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from worker.app import app

REFUSE = "parasift.refuse"


def refuse_message(headers: Any, body: bytes | str, reason: object) -> None:
    """Answer a message that is no task call, with its body as the dead letter's job; keyed by
    its task id, or by its body when it has none, so that a redelivery is answered once."""
    task_id = headers.get("id") if isinstance(headers, Mapping) else None
    raw = body if isinstance(body, bytes) else str(body).encode("utf-8", "surrogatepass")
    app.send_task(REFUSE, args=[str(task_id or hashlib.sha256(raw).hexdigest()), body, None,
                                "malformed_message",
                                f"not a task call parasift can run: {reason}", False])


def is_callable(args: Any, kwargs: Any) -> bool:
    """Whether Celery can call a task with these: otherwise it fails before the task starts."""
    return isinstance(args, (list, tuple)) and isinstance(kwargs, Mapping)


def refuse_call(task_id: str, args: Any, kwargs: Any, batch: bool, reason: str) -> None:
    """Answer a call Celery could not make; the error result has the first argument's job id,
    if any, and the dead letter holds the whole call."""
    first = args[0] if isinstance(args, (list, tuple)) and args else None
    app.send_task(REFUSE, args=[task_id, {"args": args, "kwargs": kwargs}, first, "wrong_type",
                                reason, batch])
