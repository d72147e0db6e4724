"""Publishing results: every result to the results stream, error results also to the dead-letter
stream with the original job, each delivery at most once, and the task struck from the ledger
(see worker.ledger).

A job whose worker died after publishing but before acknowledging is delivered again with the same
task id. One Lua script sets a marker key per delivery (SET NX with a TTL) and appends to the
streams only if the marker was new, atomically, so a redelivery (or a retried publish whose first
attempt did reach Redis) never adds a second entry.

A job that kills the pool process running it (out of memory, a crash in native code) would be
delivered again forever: it is acknowledged only after it ran, and a lost pool process puts it
back on the queue. So each run counts itself (``count_attempt``, INCR with a TTL) as it starts,
and the publish script deletes the count: what it holds is the runs since the task was last
answered, which are the runs that died with their process, plus any still going.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import redis

from worker import ledger
from worker.config import Config
from worker.streams import dump_job, dump_result

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a Redis that is away, restarting, failing over (a replica answers READONLY until it is
# promoted) or full goes through: publishing waits it out, then the job goes back on the queue.
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError,
               redis.exceptions.OutOfMemoryError)

ATTEMPTS = "parasift:attempts:"  # + task id: runs started since the task was last answered

# KEYS: results stream, dead-letter stream, ledger hash, ledger zset, attempts, then one marker
# key per result. ARGV: marker TTL, results MAXLEN, dead MAXLEN, task id, then per result: id,
# task_id, result, dead?, job.
_PUBLISH = """
local published = 0
redis.call('HDEL', KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[4], ARGV[4])
redis.call('DEL', KEYS[5])
for i = 6, #KEYS do
  local a = 5 + (i - 6) * 5
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',
               'id', ARGV[a], 'task_id', ARGV[a + 1], 'result', ARGV[a + 2])
    if ARGV[a + 3] == '1' then
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'id', ARGV[a],
                 'task_id', ARGV[a + 1], 'result', ARGV[a + 2], 'job', ARGV[a + 4])
    end
    published = published + 1
  end
end
return published
"""


@dataclass(frozen=True)
class Delivery:
    """One job's outcome. ``delivery_id`` is the same every time the broker redelivers it."""

    delivery_id: str
    job: Any
    result: dict[str, Any]


class Publisher:
    def __init__(self, client: redis.Redis, config: Config) -> None:
        self.client = client
        self.config = config
        self.script = client.register_script(_PUBLISH)

    def publish(self, task_id: str, deliveries: Sequence[Delivery]) -> int:
        """Append the results of task ``task_id`` and strike it from the ledger; returns how
        many results were new (the rest had been published before)."""
        config = self.config
        keys = [config.results_stream, config.dead_stream, ledger.TASKS, ledger.SENT,
                ATTEMPTS + task_id]
        args: list[Any] = [config.dedup_ttl, config.results_maxlen, config.dead_maxlen, task_id]
        for delivery in deliveries:
            dead = delivery.result.get("status") != "ok"
            keys.append(f"{config.results_stream}:published:{delivery.delivery_id}")
            args += [delivery.result.get("id") or "", delivery.delivery_id,
                     dump_result(delivery.result), "1" if dead else "0",
                     dump_job(delivery.job) if dead else ""]
        return retrying(lambda: self.script(keys=keys, args=args),
                        config.publish_retry_seconds)

    def count_attempt(self, task_id: str) -> int:
        """Count a run of task ``task_id`` as it starts; returns the runs started since the
        task was last answered, this one included (0 when Redis cannot be reached: the run
        goes ahead, and publishing deals with Redis being away)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(ATTEMPTS + task_id)
        pipe.expire(ATTEMPTS + task_id, self.config.dedup_ttl)
        try:
            return pipe.execute()[0]
        except UNAVAILABLE as error:
            log.warning("cannot count this run of task %s: %s", task_id, error)
            return 0


def retrying(call: Callable[[], T], seconds: float, first_delay: float = 0.05,
             max_delay: float = 2.0) -> T:
    """Call until Redis answers, backing off exponentially, for at most ``seconds``.
    Safe for the publish script because a repeated call is a no-op."""
    deadline = time.monotonic() + seconds
    delay = first_delay
    while True:
        try:
            return call()
        except UNAVAILABLE as error:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("Redis unreachable while publishing (%s); retrying in %.2fs", error, delay)
            time.sleep(delay)
            delay = min(delay * 2, max_delay)
