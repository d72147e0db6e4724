"""Throughput and latency of parasift through Redis and Celery, against in-process classification
measured in the same run: ``python -m bench.throughput`` (writes bench/results/throughput.md).

- articles/s in-process (one process; one job per call, or a batch per ``classify_many`` call)
  and through the queue with 1 and 2 worker pool processes, sending one ``parasift.classify``
  task per article or ``parasift.classify_batch`` tasks; the clock runs from the first send to
  the last result; each queue rate is given as a share of the in-process rate with the same
  jobs per call;
- p50/p99 latency of single small jobs sent at a steady half of the measured capacity, from
  the send to the result's entry in the results stream (its id is Redis's clock in ms);
- peak resident memory (VmHWM) of each worker's processes.

Articles: variants of the example articles written for the project (worker/examples), every
input kind in turn; no data from ../shared. Goals (issue 4): batch rate at least 60% of
in-process, p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psutil

import classifier
from worker.client import submit, submit_many
from worker.service import LocalService
from worker.streams import Entry, read_all
from worker.testing import service_env, variants

RESULTS = Path(__file__).parent / "results" / "throughput.md"


def in_process_rate(jobs: list[dict[str, Any]], batch_size: int) -> float:
    """The best of two runs, ``batch_size`` jobs per call (``classifier.classify_many``): the
    share of it reached through the queue is then not flattered."""
    model = classifier.default_model()
    classifier.classify(jobs[0], model)  # warm caches, as a running worker would have them
    rates = []
    for _ in range(2):
        started = time.perf_counter()
        for start in range(0, len(jobs), batch_size):
            classifier.classify_many(jobs[start:start + batch_size], model)
        rates.append(len(jobs) / (time.perf_counter() - started))
    return max(rates)


def queue_rate(service: LocalService, jobs: list[dict[str, Any]], batch_size: int) -> float:
    started = time.perf_counter()
    service.wait_all(submit_many(jobs, batch_size=batch_size, app=service.app))
    return len(jobs) / (time.perf_counter() - started)


def small_job(number: int) -> dict[str, Any]:
    return {"id": f"small-{number}-{time.time_ns()}",
            "text": "Council approves the harbour wind farm.\n\nBy Maria Okafor\n\n"
                    "The vote was eight to three after a two-year dispute over the plan.\n\n"
                    "Sign up for our free newsletter.\n\nShare on Facebook"}


def latencies(service: LocalService, rate: float, count: int) -> list[float]:
    """Send ``count`` small jobs at ``rate`` per second; ms from send to stream entry each."""
    client = service.app.backend.client  # the Redis holding the streams (same URL here)
    stream = service.config.results_stream
    start_id = f"{int(time.time() * 1000)}-0"
    sent: dict[str, float] = {}
    started = time.perf_counter()
    for number in range(count):
        time.sleep(max(0.0, started + number / rate - time.perf_counter()))
        job = small_job(number)
        sent[job["id"]] = time.time() * 1000
        submit(job, app=service.app)
    arrived: dict[str, float] = {}
    deadline = time.monotonic() + 120
    while len(arrived) < count and time.monotonic() < deadline:
        for entry_id, fields in client.xrange(stream, min=start_id):
            job_id = fields[b"id"].decode()
            if job_id in sent:
                arrived[job_id] = float(entry_id.decode().split("-")[0])
        time.sleep(0.2)
    return sorted(arrived[job_id] - sent[job_id] for job_id in arrived)


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))]


def peak_rss_mb(service: LocalService) -> tuple[float, float]:
    """Peak RSS of the worker's main process and of its largest pool process, in MB."""
    main = psutil.Process(service.processes["parasift1"].pid)

    def hwm(process: psutil.Process) -> float:
        status = Path(f"/proc/{process.pid}/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024

    return hwm(main), max((hwm(child) for child in main.children()), default=0.0)


def pool_rss_mb(service: LocalService) -> list[float]:
    """RSS of the worker's pool processes in MB, in the order of their process ids."""
    main = psutil.Process(service.processes["parasift1"].pid)
    return [child.memory_info().rss / 2**20
            for child in sorted(main.children(), key=lambda child: child.pid)]


WARM_JOBS = 50


@contextmanager
def warm_service(concurrency: int = 2) -> Iterator[LocalService]:
    """An embedded Redis and one worker with ``concurrency`` pool processes (its log discarded),
    after WARM_JOBS jobs have gone through it, so every pool process has run a job."""
    with open(os.devnull, "wb") as log, LocalService(concurrency=concurrency,
                                                     environ=service_env(""), log=log) as service:
        queue_rate(service, variants(WARM_JOBS, "warm"), 1)
        yield service


def seconds_to_result(entries: Iterable[Entry], sent_at: dict[str, float]) -> list[float]:
    """Enqueue-to-result latency of each entry whose job was sent at ``sent_at[job id]``
    (time.time()): a stream entry id starts with the millisecond the result was appended."""
    return [int(entry.entry_id.split("-")[0]) / 1000 - sent_at[entry.job_id]
            for entry in entries if entry.job_id in sent_at]


def p50_p99(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    p50, p99 = np.percentile(values, [50, 99])
    return float(p50), float(p99)


def burst(count: int, batch_size: int) -> str:
    """A burst of ``count`` jobs queued at once and drained by 2 pool processes; the pool
    processes' memory before and after shows whether it grows with the jobs done."""
    with warm_service() as service:
        stream, client = service.config.results_stream, service.app.backend.client
        before = pool_rss_mb(service)
        jobs, sent_at = variants(count, "burst"), {}
        started = time.perf_counter()
        for first in range(0, count, 500):  # stamp each chunk, for enqueue-to-result latency
            chunk, now = jobs[first:first + 500], time.time()
            submit_many(chunk, batch_size=batch_size, app=service.app)
            sent_at.update({job["id"]: now for job in chunk})
        queued = time.perf_counter() - started
        deadline = started + 300 + count  # generous: a stuck service ends the run, not hangs it
        while client.xlen(stream) < WARM_JOBS + count and time.perf_counter() < deadline:
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        after = pool_rss_mb(service)
        # Counted by job id: a duplicated result must not stand in for a missing one.
        entries = [entry for entry in read_all(client, stream) if entry.job_id in sent_at]
        per_job = Counter(entry.job_id for entry in entries)
        latencies = seconds_to_result(entries, sent_at)
    answered, duplicates = len(per_job), sum(per_job.values()) - len(per_job)
    p50, p99 = p50_p99(latencies)
    tasks = "single tasks" if batch_size == 1 else f"batch tasks of {batch_size}"
    return "\n".join([
        "# parasift burst", "",
        f"{count} jobs ({tasks}) queued in {queued:.1f}s; {answered} of them answered in the "
        f"stream after {elapsed:.1f}s ({count - answered} missing, {duplicates} duplicated): "
        f"{answered / elapsed:.1f} jobs/s with 2 pool processes.", "",
        f"Enqueue-to-result latency over the burst (queueing included): p50 {p50:.1f}s, "
        f"p99 {p99:.1f}s.", "",
        "| pool process | RSS MB before | RSS MB after | growth per 1000 jobs MB |",
        "| --- | --- | --- | --- |",
        *[f"| {n} | {b:.1f} | {a:.1f} | {(a - b) * 1000 / count:.2f} |"
          for n, (b, a) in enumerate(zip(before, after, strict=True), 1)],
        "", "Reproduce: `.venv/bin/python -m bench.throughput "
        f"--burst {count} --batch {batch_size}`", ""])


def measure(count: int, batch_size: int, latency_jobs: int) -> tuple[list[list[str]], str]:
    jobs = variants(count, "bench")
    sizes = {"single": 1, f"batch of {batch_size}": batch_size}
    base = {label: in_process_rate(jobs, size) for label, size in sizes.items()}
    rows = [["in-process, 1 process", label, f"{rate:.1f}", "100%", "-", "-"]
            for label, rate in base.items()]
    env = service_env("")  # no broker configured: a fresh embedded Redis per configuration
    capacity = 0.0
    with open(os.devnull, "wb") as log:
        for processes in (1, 2):
            with LocalService(concurrency=processes, environ=env, log=log) as service:
                queue_rate(service, jobs[:20], 1)  # warm up every pool process
                for label, size in sizes.items():
                    rate = queue_rate(service, variants(count, f"{label}-{processes}"), size)
                    rows.append([f"Redis + Celery, {processes} pool process(es)", label,
                                 f"{rate:.1f}", f"{rate / base[label]:.0%}", "", ""])
                main_mb, pool_mb = peak_rss_mb(service)
                rows[-1][4:] = [f"{main_mb:.0f}", f"{pool_mb:.0f}"]
                rows[-2][4:] = rows[-1][4:]
                if processes == 2:
                    started = time.perf_counter()
                    service.wait_all([submit(small_job(n), app=service.app) for n in range(200)])
                    capacity = 200 / (time.perf_counter() - started)
                    lat = latencies(service, capacity / 2, latency_jobs)
    latency = (f"Single small jobs (5 paragraphs) at {capacity / 2:.0f}/s, half of the "
               f"measured {capacity:.0f}/s with 2 pool processes: {len(lat)} results, "
               f"p50 {statistics.median(lat):.1f} ms, p99 {percentile(lat, 0.99):.1f} ms, "
               f"max {lat[-1]:.1f} ms.")
    return rows, latency


def report(rows: list[list[str]], latency: str, count: int) -> str:
    header = ["path", "tasks", "articles/s", "of in-process", "worker main peak RSS MB",
              "pool process peak RSS MB"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join([
        "# parasift throughput", "",
        f"{count} articles per run: variants of the example articles in worker/examples "
        f"(html, text and paragraphs jobs in turn); no ../shared data. Machine: "
        f"{os.cpu_count()} CPUs. Model: {classifier.default_model().info}.", "",
        *lines, "", latency, "",
        "Reproduce: `.venv/bin/python -m bench.throughput`", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400, help="articles per run")
    parser.add_argument("--batch", type=int, default=20, help="jobs per batch task")
    parser.add_argument("--latency-jobs", type=int, default=400)
    parser.add_argument("--burst", type=int, metavar="N",
                        help="instead: drain a burst of N jobs, memory before and after "
                             "(bench/results/burst.md)")
    args = parser.parse_args()
    if args.burst:
        text = burst(args.burst, args.batch)
        (RESULTS.parent / "burst.md").write_text(text)
        print(text)
        return
    rows, latency = measure(args.count, args.batch, args.latency_jobs)
    text = report(rows, latency, args.count)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
