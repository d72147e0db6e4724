"""The worker's pieces that need no running service: settings, job files, encodings, display."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.limits import Limits
from worker.app import celery_settings, make_app, transport_options
from worker.cli import main as cli_main
from worker.client import with_id
from worker.config import SETTINGS, Config, ConfigError, markdown_table
from worker.display import summary, table
from worker.files import example_jobs, jobs_from_file
from worker.redis_server import RedisServer, find_redis_server
from worker.streams import decode_entry, dump_job, dump_result

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_without_environment() -> None:
    config = Config.from_env({})
    assert not config.broker_configured
    assert config.broker_url == config.result_backend == config.streams_url
    assert (config.results_stream, config.dead_stream) == ("parasift:results", "parasift:dead")
    assert config.queue == "celery"  # Celery's default queue: other producers rely on it
    # A job must end before it could be delivered again, and be remembered longer than that.
    assert config.task_soft_time_limit < config.task_time_limit < config.visibility_timeout
    assert config.visibility_timeout < config.dedup_ttl


def test_settings_come_from_the_environment_and_empty_means_unset() -> None:
    config = Config.from_env({"PARASIFT_BROKER_URL": "redis://broker:6379/1",
                              "PARASIFT_RESULTS_STREAM": "s", "PARASIFT_VISIBILITY_TIMEOUT": "7",
                              "PARASIFT_QUEUE": ""})
    assert config.broker_configured and config.result_backend == "redis://broker:6379/1"
    assert (config.results_stream, config.visibility_timeout, config.queue) == ("s", 7, "celery")
    assert not Config.from_env({"PARASIFT_BROKER_URL": ""}).broker_configured


@pytest.mark.parametrize(("name", "value"), [
    ("PARASIFT_RESULTS_MAXLEN", "-1"), ("PARASIFT_DEAD_MAXLEN", "0"), ("PARASIFT_DEDUP_TTL", "0"),
    ("PARASIFT_MAX_ATTEMPTS", "0"), ("PARASIFT_TASK_TIME_LIMIT", "-1"),
    ("PARASIFT_TASK_TIME_LIMIT", "nan"), ("PARASIFT_CONCURRENCY", "abc"),
    ("PARASIFT_CONCURRENCY", "-1"), ("PARASIFT_FLOWER_PORT", "99999"),
    ("PARASIFT_VISIBILITY_TIMEOUT", "1.5"), ("PARASIFT_BROKER_URL", "garbage"),
    ("PARASIFT_BROKER_URL", "ftp://host/0"), ("PARASIFT_STREAMS_URL", "http://host/"),
    ("PARASIFT_RESULT_BACKEND", "rpc://"), ("PARASIFT_LOG_LEVEL", "bogus"),
])
def test_a_setting_the_service_cannot_run_with_is_refused_by_name(name: str, value: str) -> None:
    # each of these started a worker that then failed or lost every job
    with pytest.raises(ConfigError, match=name):
        Config.from_env({name: value})


def test_a_rabbitmq_broker_needs_redis_for_results_and_streams() -> None:
    with pytest.raises(ConfigError, match="PARASIFT_RESULT_BACKEND"):
        Config.from_env({"PARASIFT_BROKER_URL": "amqp://guest@rabbit//"})
    config = Config.from_env({"PARASIFT_BROKER_URL": "amqp://guest@rabbit//",
                              "PARASIFT_STREAMS_URL": "redis://cache:6379/0"})
    assert config.result_backend == config.streams_url == "redis://cache:6379/0"


def test_commands_stop_at_a_bad_setting_in_one_line() -> None:
    for args in (["submit", "x.txt"], ["label", "x.txt"]):
        run = subprocess.run([sys.executable, "-m", "worker.cli", *args], capture_output=True,
                             text=True, timeout=60, cwd=ROOT,
                             env={**os.environ, "PARASIFT_RESULTS_MAXLEN": "-1"})
        assert run.returncode == 1
        assert run.stderr == "parasift: PARASIFT_RESULTS_MAXLEN='-1': expected a whole number " \
                             "of at least 1\n"


def test_a_rediss_url_checks_the_server_certificate_in_every_client_unless_told_not_to() -> None:
    config = Config.from_env({"PARASIFT_BROKER_URL": "rediss://:pw@redis.example:6380/0"})
    assert {config.broker_url, config.result_backend, config.streams_url} == {
        "rediss://:pw@redis.example:6380/0?ssl_cert_reqs=required"}
    app = make_app(config)  # neither client connects yet
    assert app.backend.connparams["ssl_cert_reqs"] == ssl.CERT_REQUIRED
    assert app.connection_for_write().ssl == {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    told = "rediss://h:6380/0?ssl_ca_certs=%2Fca.pem&ssl_cert_reqs=none"
    assert Config.from_env({"PARASIFT_STREAMS_URL": told}).streams_url == told
    assert Config.from_env({"PARASIFT_BROKER_URL": "redis://h/0"}).broker_url == "redis://h/0"


def test_every_variable_the_code_reads_is_in_the_settings_table() -> None:
    sources = [p for d in ("worker", "classifier") for p in (ROOT / d).rglob("*.py")]
    used = {name for path in sources for name in re.findall(r"PARASIFT_[A-Z_]+",
                                                            path.read_text())}
    documented = {setting.name for setting in SETTINGS}
    assert used <= documented
    assert all(f"`{name}`" in markdown_table() for name in documented)


def test_parasift_settings_prints_the_settings_table(capsys: pytest.CaptureFixture) -> None:
    assert cli_main(["settings"]) == 0
    assert capsys.readouterr().out == markdown_table() + "\n"


def test_documented_size_limits_are_the_classifiers() -> None:
    defaults = {setting.name: setting.default for setting in SETTINGS}
    limits = Limits()
    assert int(defaults["PARASIFT_MAX_BYTES"]) == limits.max_bytes
    assert int(defaults["PARASIFT_MAX_PARAGRAPHS"]) == limits.max_paragraphs
    assert int(defaults["PARASIFT_MAX_PARAGRAPH_CHARS"]) == limits.max_paragraph_chars


def test_celery_accepts_json_only_and_acknowledges_late() -> None:
    settings = celery_settings(Config.from_env({}))
    assert settings["accept_content"] == settings["result_accept_content"] == ["json"]
    assert settings["task_acks_late"] and settings["task_reject_on_worker_lost"]
    assert settings["worker_send_task_events"] and settings["task_send_sent_event"]


@pytest.mark.parametrize("timeout", [1, 3, 60, 3600])
def test_abandoned_jobs_are_swept_well_within_the_visibility_timeout(timeout: int) -> None:
    options = transport_options(Config.from_env({"PARASIFT_VISIBILITY_TIMEOUT": str(timeout)}))
    sweep = options["unacked_restore_interval"] * options["unacked_restore_throttle"]
    assert options["visibility_timeout"] == timeout and sweep <= max(1, timeout / 2)
    rabbit = {"PARASIFT_BROKER_URL": "amqp://h//", "PARASIFT_STREAMS_URL": "redis://r:6379/0"}
    assert transport_options(Config.from_env(rabbit)) == {}


@pytest.mark.parametrize("broker", ["redis+socket:///run/redis.sock", "sentinel://s1:26379"])
def test_every_redis_broker_gets_the_visibility_timeout(broker: str) -> None:
    config = Config.from_env({"PARASIFT_BROKER_URL": broker, "PARASIFT_VISIBILITY_TIMEOUT": "60",
                              "PARASIFT_STREAMS_URL": "redis://r:6379/0"})
    assert transport_options(config)["visibility_timeout"] == 60


def _modules_after(code: str, packages: tuple[str, ...]) -> str:
    listed = f"print(sorted(m for m in sys.modules if m.split('.')[0] in {packages!r}))"
    return subprocess.run([sys.executable, "-c", f"import sys; {code}; {listed}"],
                          capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()


def test_producers_import_neither_the_classifier_nor_scikit_learn() -> None:
    heavy = ("sklearn", "numpy", "scipy", "lxml")
    assert _modules_after("import worker, worker.client, worker.cli",
                          ("classifier", *heavy)) == "[]"
    # `parasift submit` parses its arguments with the classifier's commands registered, and
    # should not wait a second for scikit-learn to do so
    assert _modules_after("import worker.cli; worker.cli.build_parser()", heavy) == "[]"


def test_job_files_of_every_kind(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("<p>Hi</p>")
    (tmp_path / "b.txt").write_text("One.\n\nTwo.")
    (tmp_path / "c.json").write_text(json.dumps(["p1", "p2"]))
    (tmp_path / "d.json").write_text(json.dumps({"id": "mine", "text": "x"}))
    (tmp_path / "e.jsonl").write_text('{"text": "x"}\n\n{"id": "y", "paragraphs": ["z"]}\n')
    (tmp_path / "f.htm").write_bytes("<p>caf\u00e9</p>".encode("latin-1"))
    jobs = [job for path in sorted(tmp_path.iterdir()) for job in jobs_from_file(path)]
    assert jobs == [{"id": "a.html", "html": "<p>Hi</p>"}, {"id": "b.txt", "text": "One.\n\nTwo."},
                    {"id": "c.json", "paragraphs": ["p1", "p2"]}, {"id": "mine", "text": "x"},
                    {"id": "e.jsonl:1", "text": "x"}, {"id": "y", "paragraphs": ["z"]},
                    {"id": "f.htm", "html": b"<p>caf\xe9</p>"}]
    (tmp_path / "g.json").write_text("42")
    with pytest.raises(ValueError):
        jobs_from_file(tmp_path / "g.json")


def test_job_files_in_other_charsets_go_as_bytes_and_json_lines_end_at_line_ends(
        tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes("Café.".encode("cp1252"))
    (tmp_path / "b.txt").write_bytes("Café.".encode("utf-8-sig"))
    # U+2028 may stand unescaped in a JSON string; str.splitlines would cut the line there.
    (tmp_path / "c.jsonl").write_text('{"text": "One\u2028two."}\n', encoding="utf-8")
    jobs = [job for path in sorted(tmp_path.iterdir()) for job in jobs_from_file(path)]
    assert jobs == [{"id": "a.txt", "text": b"Caf\xe9."}, {"id": "b.txt", "text": "Café."},
                    {"id": "c.jsonl:1", "text": "One\u2028two."}]


def _parasift(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worker.cli", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env}, cwd=ROOT)


def test_submit_refuses_unreadable_files_before_sending_anything(tmp_path: Path) -> None:
    (tmp_path / "jobs.jsonl").write_text('{"text": "fine"}\n{"text": broken}\n')
    (tmp_path / "deep.json").write_text("[" * 100_000)
    # Nothing listens on port 1, so a run that got as far as sending would fail differently.
    unreachable = "redis://127.0.0.1:1/0"
    for path, message in ((tmp_path / "missing.txt", "cannot read"),
                          (tmp_path / "jobs.jsonl", "jobs.jsonl:2: not a JSON job"),
                          (tmp_path / "deep.json", "deep.json: not a JSON job")):
        run = _parasift("submit", str(path), PARASIFT_BROKER_URL=unreachable)
        assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr


def test_service_commands_say_when_redis_is_unreachable(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Hello.")
    unreachable = "redis://127.0.0.1:1/0"
    for args in (("submit", str(tmp_path / "a.txt")), ("results",)):
        run = _parasift(*args, PARASIFT_BROKER_URL=unreachable)
        assert run.returncode == 1 and "cannot reach" in run.stderr, run.stderr
        assert "Traceback" not in run.stderr


def test_examples_are_one_of_each_kind_with_a_non_english_one() -> None:
    jobs = example_jobs()
    assert sorted(kind for job in jobs for kind in ("html", "text", "paragraphs")
                  if kind in job) == ["html", "paragraphs", "text"]
    assert any(job.get("meta", {}).get("language") == "fr" for job in jobs)


def test_with_id_fills_only_a_missing_id() -> None:
    assert with_id({"id": "kept", "text": "x"}) == {"id": "kept", "text": "x"}
    assert len(with_id({"text": "x"})["id"]) == 32
    assert with_id('{"text": "x"}') == '{"text": "x"}'  # raw messages are the worker's to read


def test_stream_encodings_survive_any_job_and_result() -> None:
    result = {"id": "\u00e9t\u00e9", "status": "ok", "text": "lone \ud800 surrogate"}
    assert json.loads(dump_result(result)) == result
    assert json.loads(dump_result({"id": "\u00e9"})) == {"id": "\u00e9"}
    assert dump_job(b"\xff\x00") == b"\xff\x00"
    assert dump_job("not json") == b"not json"
    assert json.loads(dump_job({"text": "x"})) == {"text": "x"}
    entry = decode_entry(b"1-0", {b"id": b"", b"task_id": b"t", b"result": b'{"status":"ok"}'})
    assert (entry.entry_id, entry.job_id, entry.task_id, entry.job) == ("1-0", None, "t", None)


def test_table_shows_every_paragraph_with_its_label() -> None:
    result = {"id": "a", "status": "ok", "counts": {"body": 1, "appeal": 0, "cruft": 1},
              "paragraphs": [{"index": 0, "text": "Home", "label": "cruft", "confidence": 0.9},
                             {"index": 1, "text": "x" * 500, "label": "body",
                              "confidence": 0.75}]}
    lines = table(result, width=80).splitlines()
    assert lines[0] == "a  ok  body 1  appeal 0  cruft 1"
    assert lines[2].split() == ["0", "cruft", "0.90", "Home"]
    assert lines[3].endswith("…") and len(lines[3]) <= 80
    error = {"id": "b", "status": "error", "error": {"code": "no_input", "message": "none"}}
    assert summary(error) == table(error) == "b  error  no_input: none"


def test_redis_server_keeps_data_across_restart_with_append_only_file(tmp_path: Path) -> None:
    assert Path(find_redis_server()).is_file()
    with RedisServer(directory=tmp_path, appendonly=True) as server:
        server.client().xadd("s", {"k": "v"})
        port = server.port
        server.restart()
        assert server.port == port and server.client().xlen("s") == 1
    assert server.process is None


def test_a_soft_limit_not_below_the_hard_one_leaves_the_hard_one_in_charge() -> None:
    def limits(soft: str, hard: str) -> tuple:
        settings = celery_settings(Config.from_env({"PARASIFT_TASK_SOFT_TIME_LIMIT": soft,
                                                    "PARASIFT_TASK_TIME_LIMIT": hard}))
        return settings["task_soft_time_limit"], settings["task_time_limit"]

    assert limits("5", "10") == (5, 10)
    assert limits("10", "10") == (None, 10)


def test_a_batch_that_raises_is_answered_job_by_job(monkeypatch) -> None:
    from worker import tasks

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in batch scoring")

    monkeypatch.setattr(tasks, "classify_many", broken)
    results = tasks.classify_all([{"id": "a", "text": "One.\n\nTwo."}, "{broken"])
    assert [(r["status"], r.get("id")) for r in results] == [("ok", "a"), ("error", None)]
