"""kombu's Redis transport, answering queue items it cannot read instead of stopping the worker.

An item whose body is not base64, or that has no delivery tag, raises inside kombu's read loop,
before Celery's consumer (worker.consumer) sees a message: the worker stopped ("Unrecoverable
error") or reconnected, and the item, already taken off the list, was lost. Here such an item
gets a ``malformed_message`` error result and dead letter. An item that is not JSON at all is
logged and skipped: nothing in it can be read, not even a task id.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from kombu.transport import redis

from worker.refusals import refuse_message

log = logging.getLogger(__name__)


class Channel(redis.Channel):
    """kombu's Redis channel, skipping a queue item that is not JSON."""

    def _brpop_read(self, **options: Any) -> bool:
        try:
            return super()._brpop_read(**options)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:  # the item is not JSON
            log.error("skipped a queue item that is not JSON: %s", error)
            return True


class Transport(redis.Transport):
    """kombu's Redis transport, answering an item it cannot make a message of."""

    Channel = Channel

    def _deliver(self, message: Any, queue: str) -> None:
        try:
            super()._deliver(message, queue)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            headers = message.get("headers") if isinstance(message, dict) else None
            refuse_message(headers, json.dumps(message).encode(), error)
