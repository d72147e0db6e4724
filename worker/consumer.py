"""Task messages that Celery cannot make a call of, answered instead of dropped or fatal.

A body that is not ``[args, kwargs, embed]``, headers without an id, a content type other than
JSON, a task name no worker knows: Celery's consumer drops some of these with a log line, so
the producer waits for ever, and dies on others, and then the message goes back on the queue
and kills the next worker too. Here each one gets an error result (``malformed_message``) on
the results and dead-letter streams, with the message's body, and leaves the queue. The answer
is published by a ``parasift.refuse`` task (worker.refusals), never from the consumer's event
loop. Celery uses this class through the ``worker_consumer`` setting (worker.app).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery.worker import consumer
from kombu.message import Message
from vine import promise

from worker.refusals import refuse_message


class Consumer(consumer.Consumer):
    """Celery's consumer, with each message it cannot make a call of answered (see above)."""

    def create_task_handler(self, promise: Any = promise) -> Callable[[Message], None]:
        handle = super().create_task_handler(promise)

        def on_task_received(message: Message) -> None:
            try:
                handle(message)
            except Exception as error:
                # kombu's Redis transport counts a KeyError (a message without an id) as a lost
                # connection: it would put the message back and read it again, for ever.
                if isinstance(error, self.connection_errors) and not isinstance(error, KeyError):
                    raise
                self.on_invalid_task(None, message, error)

        return on_task_received

    def on_invalid_task(self, body: Any, message: Message, exc: Exception) -> None:
        refuse_message(message.headers, message.body, exc)
        super().on_invalid_task(body, message, exc)

    def on_decode_error(self, message: Message, exc: Exception) -> None:
        refuse_message(message.headers, message.body, exc)
        super().on_decode_error(message, exc)

    def on_unknown_message(self, body: Any, message: Message) -> None:
        refuse_message(message.headers, message.body, "not a Celery task message")
        super().on_unknown_message(body, message)

    def on_unknown_task(self, body: Any, message: Message, exc: Exception) -> None:
        refuse_message(message.headers, message.body, f"no such task: {exc}")
        super().on_unknown_task(body, message, exc)
