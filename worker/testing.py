"""Helpers for tests and benchmarks of the service (like ``celery.contrib.testing``): a handle on
one Redis with its settings, workers started against it, and jobs made from the examples.

Nothing here fakes anything: workers are real ``celery -A worker worker`` processes.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from celery import Celery

from worker.app import make_app
from worker.config import Config
from worker.files import example_jobs
from worker.redis_server import TLSFiles
from worker.service import start_worker
from worker.streams import Entry, read_all

WAIT = 180.0  # a deadline so that a broken service fails a test instead of hanging it


def service_env(url: str, **overrides: str) -> dict[str, str]:
    """This process's environment without PARASIFT_ settings (PARASIFT_MODEL kept), on ``url``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PARASIFT_") or k == "PARASIFT_MODEL"}
    return {**env, "PARASIFT_BROKER_URL": url, **overrides}


@dataclass
class Service:
    """Settings pointing at one Redis, a producer app, and workers started against it."""

    env: dict[str, str]
    log_dir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.config = Config.from_env(self.env)
        self.app: Celery = make_app(self.config)
        self.redis = redis.Redis.from_url(self.config.streams_url)

    def worker(self, name: str, concurrency: int = 1, pool: str = "prefork") -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab", buffering=0)  # noqa: SIM115
        self.processes.append(start_worker(self.env, name, concurrency, pool, log=log))
        return self.processes[-1]

    def log_of(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def entries(self, stream: str | None = None) -> list[Entry]:
        return read_all(self.redis, stream or self.config.results_stream)

    def collect(self, job_ids: set[str], stream: str | None = None,
                timeout: float = WAIT) -> dict[str, list[Entry]]:
        """Poll the stream until every id has an entry; all entries of those ids, by id."""
        deadline = time.monotonic() + timeout
        while True:
            found: dict[str, list[Entry]] = defaultdict(list)
            for entry in self.entries(stream):
                if entry.job_id in job_ids:
                    found[entry.job_id].append(entry)
            if set(found) >= job_ids or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def collect_tasks(self, task_ids: set[str], stream: str | None = None,
                      timeout: float = WAIT) -> dict[str, Entry]:
        """Poll the stream until every task id has an entry; the last entry of each, by task
        id (for messages answered without a job id)."""
        deadline = time.monotonic() + timeout
        while True:
            found = {e.task_id: e for e in self.entries(stream) if e.task_id in task_ids}
            if set(found) >= task_ids or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def drained(self, timeout: float = WAIT) -> bool:
        """Queue empty and nothing delivered but unacknowledged: no redelivery can follow."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.redis.llen(self.config.queue) and not self.redis.hlen("unacked"):
                return True
            time.sleep(0.1)
        return False


def variants(count: int, prefix: str) -> list[dict[str, Any]]:
    """``count`` distinct jobs of every input kind made from the example articles: each as html,
    text and paragraphs where it has them, with a sentence unique to the job appended."""
    bases: list[tuple[str, Any]] = []
    for job in example_jobs():
        if "html" in job:
            bases.append(("html", job["html"]))
        paragraphs = job.get("paragraphs") or [p for p in job.get("text", "").split("\n\n") if p]
        if paragraphs:
            bases += [("text", "\n\n".join(paragraphs)), ("paragraphs", paragraphs)]
    jobs = []
    for number in range(count):
        kind, content = bases[number % len(bases)]
        extra = f"The desk logged this report as number {number} of the series."
        if kind == "html":
            content = content.replace("</article>", f"<p>{extra}</p></article>")
        elif kind == "text":
            content = f"{content}\n\n{extra}"
        else:
            content = [*content, extra]
        jobs.append({"id": f"{prefix}-{number}", kind: content, "meta": {"n": number}})
    return jobs


def raw_message(body: bytes, task_id: str, task: str = "parasift.classify",
                content_type: str = "application/json", with_id: bool = True) -> str:
    """A Celery protocol-2 task message as a producer in another language LPUSHes it onto the
    queue: JSON around the base64 of the body, ``[args, kwargs, embed]`` as JSON."""
    headers = {"lang": "py", "task": task, "id": task_id, "root_id": task_id, "retries": 0,
               "timelimit": [None, None]}
    if not with_id:
        del headers["id"]
    return json.dumps({
        "body": base64.b64encode(body).decode(), "content-encoding": "utf-8",
        "content-type": content_type, "headers": headers,
        "properties": {"correlation_id": task_id, "delivery_mode": 2, "priority": 0,
                       "body_encoding": "base64", "delivery_tag": str(uuid.uuid4()),
                       "delivery_info": {"exchange": "", "routing_key": "celery"}},
    })


def labels(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["text"], p["label"]) for p in result["paragraphs"]]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def throwaway_certificates(directory: Path) -> TLSFiles:
    """A CA made for the occasion and a server certificate it signed for 127.0.0.1 and
    localhost, both valid for two days, made with the ``openssl`` command."""
    directory.mkdir(parents=True, exist_ok=True)
    tls = TLSFiles(ca=directory / "ca.crt", cert=directory / "server.crt",
                   key=directory / "server.key")
    (directory / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid,issuer\n")
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for args in (
            ["req", "-x509", *new_key, "-days", "2", "-subj", "/CN=parasift throwaway CA",
             "-keyout", "ca.key", "-out", tls.ca.name],
            ["req", *new_key, "-subj", "/CN=localhost", "-keyout", tls.key.name,
             "-out", "server.csr"],
            ["x509", "-req", "-in", "server.csr", "-CA", tls.ca.name, "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", tls.cert.name]):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)
    return tls
