"""Tasks sent but not yet answered, so that a task the broker drops is sent again.

kombu's Redis transport takes a message off the queue (BRPOP) a moment before it records it as
unacknowledged; a worker killed in that moment loses the message, and a Redis without its
append-only file can lose queued ones. So the producers in ``worker.client`` write every task to
a ledger (a hash: task id -> task, and a sorted set: task id -> when sent) before sending it, the
publish script removes it in the same step that publishes its results, and every worker
periodically sends again, under the same task id, what stayed in the ledger past a deadline. The
per-delivery markers of ``worker.publish`` make the extra copy harmless when the first was only
slow. Producers that bypass ``worker.client`` (other languages) are not covered.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from kombu.utils import json as kombu_json  # the broker's JSON: it round-trips bytes too

log = logging.getLogger(__name__)

TASKS = "parasift:inflight"
SENT = "parasift:inflight:sent"

# KEYS: tasks hash, sent zset. ARGV: now, deadline (sent before it is overdue), limit.
# Re-stamps what it returns, so that of several workers only one sends a task again.
_OVERDUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
local out = {}
for _, id in ipairs(ids) do
  local task = redis.call('HGET', KEYS[1], id)
  if task then
    redis.call('ZADD', KEYS[2], ARGV[1], id)
    table.insert(out, id)
    table.insert(out, task)
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return out
"""


def record(client: redis.Redis, tasks: list[tuple[str, str, Any]]) -> None:
    """Write ``(task_id, task_name, argument)`` entries before they are sent."""
    if not tasks:
        return
    now = time.time()
    pipe = client.pipeline(transaction=True)
    pipe.hset(TASKS, mapping={task_id: kombu_json.dumps([name, arg])
                              for task_id, name, arg in tasks})
    pipe.zadd(SENT, {task_id: now for task_id, _, _ in tasks})
    pipe.execute()


def overdue(client: redis.Redis, older_than: float, limit: int = 500) -> list[tuple[str, str, Any]]:
    """Tasks sent more than ``older_than`` seconds ago and still unanswered."""
    now = time.time()
    reply = client.eval(_OVERDUE, 2, TASKS, SENT, now, now - older_than, limit)
    pairs = zip(reply[::2], reply[1::2])
    return [(_text(task_id), *kombu_json.loads(task)) for task_id, task in pairs]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def resend_overdue(client: redis.Redis, send: Any, older_than: float) -> int:
    """Send the overdue tasks again with ``send(name, arg, task_id)``; returns how many."""
    tasks = overdue(client, older_than)
    for task_id, name, arg in tasks:
        log.warning("task %s unanswered after %.0fs: sending it again", task_id, older_than)
        send(name, arg, task_id)
    return len(tasks)


def start_resender(client: redis.Redis, send: Any, older_than: float,
                   interval: float) -> threading.Thread:
    """A daemon thread that resends overdue tasks every ``interval`` seconds."""
    def loop() -> None:
        while True:
            time.sleep(interval)
            try:
                resend_overdue(client, send, older_than)
            except redis.RedisError as error:  # Redis away: the next round tries again
                log.warning("cannot check for unanswered tasks: %s", error)

    thread = threading.Thread(target=loop, name="parasift-resender", daemon=True)
    thread.start()
    return thread
