"""The whole service on one machine: an embedded Redis when no broker is configured, N Celery
worker processes and, when installed, Flower. Used by `parasift run`, the tests and bench/.

Every child runs in its own session, so a Ctrl-C in the terminal reaches only `parasift run`,
which then stops the children in order: workers first (they finish and acknowledge their jobs
while Redis is still there), then Flower, then Redis.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from typing import IO, Any

from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeout

from worker.app import make_app
from worker.client import wait
from worker.config import Config
from worker.redis_server import RedisServer

logger = logging.getLogger(__name__)


def celery_command(*args: str) -> list[str]:
    # `python -m celery` of this interpreter: works whether or not the venv's bin/ is on PATH.
    return [sys.executable, "-m", "celery", "-A", "worker", *args]


def start_worker(env: Mapping[str, str], name: str, concurrency: int = 1, pool: str = "prefork",
                 log: IO[Any] | None = None, loglevel: str = "INFO") -> subprocess.Popen:
    command = celery_command("worker", "--hostname", f"{name}@%h", "--pool", pool,
                             "--concurrency", str(concurrency), "--loglevel", loglevel,
                             "--without-mingle", "--without-gossip")
    return subprocess.Popen(command, env=dict(env), stdout=log, stderr=subprocess.STDOUT if log
                            else None, stdin=subprocess.DEVNULL, start_new_session=True)


def stop_processes(processes: Iterable[subprocess.Popen], grace: float = 20.0) -> None:
    """SIGTERM (a Celery worker's warm shutdown) to all, then SIGKILL to each process group
    still there after ``grace`` seconds (pool processes included)."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(max(0.0, deadline - time.monotonic()))
        kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_ready(app: Celery, names: Iterable[str], processes: Iterable[subprocess.Popen] = (),
               timeout: float = 120.0) -> None:
    """Until every named worker answers a ping (its model is loaded by then)."""
    wanted = {name for name in names}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"worker process {process.pid} exited with {process.returncode}")
        replies = app.control.ping(timeout=0.5)
        answered = {name.split("@")[0] for reply in replies for name in reply}
        if wanted <= answered:
            return
    raise TimeoutError(f"workers {sorted(wanted)} did not answer within {timeout}s")


class LocalService:
    def __init__(self, workers: int = 1, concurrency: int | None = None, flower: bool = False,
                 log: IO[Any] | None = None, environ: Mapping[str, str] | None = None) -> None:
        self.env = dict(os.environ if environ is None else environ)
        self.workers, self.flower, self.log = workers, flower, log
        self.concurrency = concurrency
        self.redis: RedisServer | None = None
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, ready_timeout: float = 120.0) -> LocalService:
        if not Config.from_env(self.env).broker_configured:
            self.redis = RedisServer().start()
            self.env["PARASIFT_BROKER_URL"] = self.redis.url
        self.config = Config.from_env(self.env)
        self.app = make_app(self.config)
        concurrency = self.concurrency or self.config.concurrency
        names = [f"parasift{number}" for number in range(1, self.workers + 1)]
        for name in names:
            self.processes[name] = start_worker(self.env, name, concurrency, log=self.log,
                                                loglevel=self.config.log_level)
        if self.flower and importlib.util.find_spec("flower"):
            self.processes["flower"] = subprocess.Popen(
                celery_command("flower", f"--port={self.config.flower_port}",
                               "--address=127.0.0.1"),
                env=self.env, stdout=self.log, stderr=subprocess.STDOUT if self.log else None,
                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_ready(self.app, names, [self.processes[name] for name in names], ready_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def check_alive(self) -> None:
        for name, process in list(self.processes.items()):
            if process.poll() is None:
                continue
            if name == "flower":  # optional (its port may be taken): the service runs on
                logger.warning("Flower exited with %s; the workers go on", process.returncode)
                del self.processes[name]
                continue
            raise RuntimeError(f"{name} (pid {process.pid}) exited with {process.returncode}")

    def wait_all(self, task_ids: list[str], timeout: float = 300.0) -> list[Any]:
        """Every task's result, failing fast if a child process dies meanwhile."""
        deadline = time.monotonic() + timeout
        results = []
        for task_id in task_ids:
            while True:
                try:
                    results.append(wait(task_id, timeout=1.0, app=self.app))
                    break
                except CeleryTimeout:
                    self.check_alive()
                    if time.monotonic() > deadline:
                        raise
        return results

    def stop(self) -> None:
        # Workers and Flower first: workers still need Redis to acknowledge their last jobs.
        stop_processes(self.processes.values())
        self.processes = {}
        if self.redis:
            self.redis.close()
            self.redis = None

    def __enter__(self) -> LocalService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

