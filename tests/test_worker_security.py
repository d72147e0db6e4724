"""A Redis with a password: everything works through the configured URL and the password is
never written to a log or the command line's output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import redis

from worker.client import submit, wait
from worker.redis_server import RedisServer
from worker.service import stop_processes, wait_ready
from worker.testing import WAIT, Service, service_env, variants

pytestmark = pytest.mark.integration

SECRET = "s3cret-Pa55word-for-tests"


def test_password_protected_redis_works_and_the_password_stays_out_of_logs(
        tmp_path: Path) -> None:
    with RedisServer(directory=tmp_path / "redis", password=SECRET) as server:
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=server.port).ping()  # the password is really required
        service = Service(service_env(server.url), tmp_path / "logs")
        try:
            worker = service.worker("guarded")
            wait_ready(service.app, ["guarded"], [worker], timeout=WAIT)
            job = variants(1, "guarded")[0]
            assert wait(submit(job, app=service.app), timeout=WAIT,
                        app=service.app)["status"] == "ok"
            assert service.collect({job["id"]})[job["id"]]
            shown = subprocess.run([sys.executable, "-m", "worker.cli", "results"], text=True,
                                   env=service.env, capture_output=True, timeout=WAIT)
            assert "guarded-0  ok" in shown.stdout
        finally:
            stop_processes(service.processes)
        log = service.log_of("guarded")
        assert "ready." in log and SECRET not in log + shown.stdout + shown.stderr
