"""`parasift submit`, `parasift results` and `parasift run`, run as the commands they are."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest
import redis

from worker.config import Config
from worker.files import EXAMPLES, example_jobs
from worker.streams import dump_result
from worker.testing import WAIT, Service, service_env

pytestmark = pytest.mark.integration


def parasift(*args: str, env: dict[str, str], timeout: float = WAIT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worker.cli", *args], env=env, text=True,
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def _pgrep(*args: str) -> list[str]:
    return subprocess.run(["pgrep", *args], capture_output=True, text=True).stdout.split()


def test_submit_and_wait_prints_the_result_messages(service: Service) -> None:
    out = parasift("submit", *map(str, sorted(EXAMPLES.iterdir())), "--wait", "--json",
                   env=service.env)
    assert out.returncode == 0, out.stderr
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in results] == [job["id"] for job in example_jobs()]
    assert all(r["status"] == "ok" and r["paragraphs"] for r in results)


def test_submit_then_read_results_once_per_consumer_group(service: Service, tmp_path) -> None:
    job = tmp_path / "cli-group-job.txt"
    job.write_text("A first paragraph of the article.\n\nAnd a second one.")
    out = parasift("submit", str(job), env=service.env)
    [task_id] = out.stdout.split()
    assert re.fullmatch(r"[0-9a-f-]{36}", task_id)
    service.collect({job.name})
    group = ["results", "--group", "cli-test", "--consumer", "c1", "--json"]
    first = parasift(*group, env=service.env)
    assert job.name in [json.loads(line)["id"] for line in first.stdout.splitlines()]
    again = parasift(*group, env=service.env)  # all acknowledged: nothing the second time
    assert again.returncode == 0 and again.stdout == ""
    plain = parasift("results", env=service.env)
    assert f"{job.name}  ok  " in plain.stdout


def test_bad_job_file_shows_in_the_dead_letter_stream(service: Service, tmp_path) -> None:
    bad = tmp_path / "cli-bad.json"
    bad.write_text(json.dumps({"text": "two inputs", "html": "<p>at once</p>"}))
    out = parasift("submit", str(bad), "--wait", env=service.env)
    assert out.returncode == 1 and "cli-bad.json  error  ambiguous_input" in out.stdout
    dead = parasift("results", "--dead", env=service.env)
    assert "cli-bad.json  error  ambiguous_input" in dead.stdout


def test_a_file_in_another_charset_is_labelled_in_it(service: Service, tmp_path) -> None:
    text = "Café crème brûlée, the dessert the guests ordered.\n\nÀ bientôt."
    job = tmp_path / "cli-latin1.txt"
    job.write_bytes(text.encode("cp1252"))  # sent as bytes, decoded by the worker
    out = parasift("submit", str(job), "--wait", "--json", env=service.env)
    assert out.returncode == 0, out.stderr
    [result] = [json.loads(line) for line in out.stdout.splitlines()]
    assert [p["text"] for p in result["paragraphs"]] == text.split("\n\n")


def test_submit_wait_says_which_task_went_unanswered(own_redis, tmp_path) -> None:
    job = tmp_path / "nobody-listens.txt"
    job.write_text("No worker takes this one.")
    env = {**os.environ, "PARASIFT_BROKER_URL": own_redis.url, "PARASIFT_QUEUE": "nobody"}
    out = parasift("submit", str(job), "--wait", "--timeout", "1", env=env)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert re.search(r"task [0-9a-f-]{36}: TimeoutError", out.stderr)


def test_run_demo_labels_the_examples_through_the_queue_and_stops() -> None:
    env = service_env("")  # no broker configured: the demo starts its own redis-server
    out = parasift("run", "--demo", env=env, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    for job in example_jobs():
        assert re.search(rf"^{re.escape(job['id'])}  ok  body \d+", out.stdout, re.M)
    assert len(re.findall(r"^\s+\d+  (body|appeal|cruft)\s", out.stdout, re.M)) > 40
    assert "3 example articles labelled through Redis and Celery" in out.stdout


def test_run_serves_until_sigterm_then_stops_everything() -> None:
    env = {**service_env(""), "PARASIFT_CONCURRENCY": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "worker.cli", "run", "--no-flower"],
                               env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        lines = []
        while not lines or "Ctrl-C to stop" not in lines[-1]:
            lines.append(process.stdout.readline())
            assert lines[-1], "parasift run exited before serving"
        url = re.search(r"broker (\S+) \(embedded", "".join(lines)).group(1)
        client = redis.Redis.from_url(url)
        assert client.ping()
        # redis-server and the worker, each leading a process group (the worker's holds its pool)
        groups = _pgrep("-P", str(process.pid))
        assert len(groups) == 2 and all(_pgrep("-g", group) for group in groups)
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        with pytest.raises(redis.ConnectionError):
            client.ping()
        assert [_pgrep("-g", group) for group in groups] == [[], []]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_results_json_prints_a_stored_result_holding_a_lone_surrogate(own_redis) -> None:
    env = service_env(own_redis.url)
    result = {"id": "old", "status": "ok", "body_text": "from before \ud800 was refused"}
    redis.Redis.from_url(own_redis.url).xadd(
        Config.from_env(env).results_stream,
        {"id": "old", "task_id": "t-old", "result": dump_result(result)})
    out = parasift("results", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == result
