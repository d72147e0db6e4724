"""Fixtures of the worker tests: a real redis-server (worker.redis_server) and real
`celery -A worker worker` processes started with their environment pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from worker.redis_server import RedisServer
from worker.service import stop_processes, wait_ready
from worker.testing import WAIT, Service, service_env


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="session")
def service(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Service]:
    """One worker with two pool processes, shared by the tests that need a running service."""
    service = Service(service_env(redis_server.url), tmp_path_factory.mktemp("logs"))
    process = service.worker("shared", concurrency=2)
    try:
        wait_ready(service.app, ["shared"], [process], timeout=WAIT)
        yield service
    finally:
        stop_processes(service.processes)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own, for tests that kill or restart things (append-only file on)."""
    with RedisServer(directory=tmp_path / "redis", appendonly=True) as server:
        yield server


@pytest.fixture
def own_service(own_redis: RedisServer, tmp_path: Path,
                request: pytest.FixtureRequest) -> Iterator[Service]:
    """Settings on the test's own Redis with a short visibility timeout, changed by a test's
    ``@pytest.mark.settings(NAME="value")``; no worker started. Workers the test starts with
    ``own_service.worker`` are killed at teardown."""
    marker = request.node.get_closest_marker("settings")
    settings = {"PARASIFT_VISIBILITY_TIMEOUT": "3", "PARASIFT_RESEND_AFTER": "8",
                "PARASIFT_RESEND_INTERVAL": "1", **(marker.kwargs if marker else {})}
    service = Service(service_env(own_redis.url, **settings), tmp_path / "logs")
    yield service
    stop_processes(service.processes, grace=5)
