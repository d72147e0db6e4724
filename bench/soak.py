"""A bounded soak run: ``python -m bench.soak --minutes 5`` (writes bench/results/soak.md).

An embedded redis-server and one worker with 2 pool processes take a steady stream of single
jobs at a fixed rate below capacity for the given minutes: html, text and paragraphs jobs made
from worker/examples and tests/fixtures, and one bad job in 20 that must come back as an error
result. The pool processes' resident memory is sampled every ``--sample-seconds``. At the end
it reports jobs sent, ok and error results, missing and duplicated results (both must be 0),
jobs whose result had the wrong status, jobs/s, enqueue-to-result latency, and pool memory at
start and end with its fitted growth in MB per 1,000 jobs.

Not part of the test suite: it runs for minutes and its figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

import classifier
from bench.throughput import WARM_JOBS, p50_p99, pool_rss_mb, seconds_to_result, warm_service
from worker.client import submit
from worker.files import jobs_from_file
from worker.streams import Entry, read_all
from worker.testing import variants

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "soak.md"
BAD_JOBS = [  # each must come back as an error result
    {"paragraphs": "not a list"},
    {"url": "https://example.org/nothing-to-read"},
    {"text": "one input", "html": "<p>and another</p>"},
    {"paragraphs": []},
    {"text": ["not", "a", "string"]},
]
BAD_EVERY = 20


def good_jobs() -> list[dict[str, Any]]:
    """Every input kind of the example articles, and the test fixtures' article page and text."""
    fixtures = [job for path in sorted((ROOT / "tests" / "fixtures").iterdir())
                for job in jobs_from_file(path)]
    return variants(30, "base") + fixtures


def job_stream(count: int) -> list[tuple[dict[str, Any], bool]]:
    """``count`` jobs with ids of their own, each with whether it is a good one."""
    good = good_jobs()
    jobs = []
    for number in range(count):
        bad = number % BAD_EVERY == BAD_EVERY - 1
        base = BAD_JOBS[number // BAD_EVERY % len(BAD_JOBS)] if bad else good[number % len(good)]
        jobs.append(({**base, "id": f"soak-{number}"}, not bad))
    return jobs


def slope_per_1000(jobs_done: list[int], rss: list[float]) -> float:
    """MB per 1,000 jobs: the slope of a straight line fitted to the samples."""
    if len(set(jobs_done)) < 2:
        return float("nan")
    return float(np.polyfit(jobs_done, rss, 1)[0] * 1000)


def soak(minutes: float, rate: float, sample_seconds: float) -> str:
    with warm_service(concurrency=2) as service:
        client, stream = service.app.backend.client, service.config.results_stream
        jobs = job_stream(int(minutes * 60 * rate))
        good = {job["id"]: is_good for job, is_good in jobs}
        sent_at: dict[str, float] = {}
        samples: list[tuple[float, int, list[float]]] = []

        def sample(started: float) -> None:
            done = client.xlen(stream) - WARM_JOBS
            samples.append((time.perf_counter() - started, done, pool_rss_mb(service)))

        started = time.perf_counter()
        sample(started)
        for number, (job, _) in enumerate(jobs):
            time.sleep(max(0.0, started + number / rate - time.perf_counter()))
            sent_at[job["id"]] = time.time()
            submit(job, app=service.app)
            if time.perf_counter() - started >= samples[-1][0] + sample_seconds:
                sample(started)
        sending = time.perf_counter() - started
        deadline = time.perf_counter() + 120  # a stuck service ends the run instead of hanging
        while client.xlen(stream) < WARM_JOBS + len(jobs) and time.perf_counter() < deadline:
            time.sleep(0.2)
        service.check_alive()
        sample(started)
        entries = [entry for entry in read_all(client, stream) if entry.job_id in good]
    return report(jobs, good, entries, sent_at, samples, sending, rate, minutes)


def report(jobs: list[tuple[dict[str, Any], bool]], good: dict[str, bool],
           entries: list[Entry], sent_at: dict[str, float],
           samples: list[tuple[float, int, list[float]]], sending: float, rate: float,
           minutes: float) -> str:
    per_job = Counter(entry.job_id for entry in entries)
    statuses = Counter(entry.result["status"] for entry in entries)
    wrong = sum(1 for entry in entries
                if (entry.result["status"] == "ok") != good[entry.job_id])
    missing = len(good) - len(per_job)
    duplicates = sum(count - 1 for count in per_job.values())
    last_result = max(int(entry.entry_id.split("-")[0]) / 1000 for entry in entries)
    throughput = len(per_job) / (last_result - min(sent_at.values()))
    p50, p99 = p50_p99(seconds_to_result(entries, sent_at))
    done = [jobs_done for _, jobs_done, _ in samples]
    processes = len(samples[0][2])
    rows = [f"| {n + 1} | {samples[0][2][n]:.1f} | {samples[-1][2][n]:.1f} | "
            f"{slope_per_1000(done, [rss[n] for _, _, rss in samples]):+.3f} |"
            for n in range(processes)]
    total = [sum(rss) for _, _, rss in samples]
    rows.append(f"| all | {total[0]:.1f} | {total[-1]:.1f} | {slope_per_1000(done, total):+.3f} |")
    sample_rows = ["| " + " | ".join([f"{seconds:.0f}", str(jobs_done), *map("{:.1f}".format, rss)])
                   + " |" for seconds, jobs_done, rss in samples]
    return "\n".join([
        "# parasift soak", "",
        f"{minutes:g} minutes of single `parasift.classify` jobs at {rate:g}/s (sent over "
        f"{sending:.0f} s) to one worker with {processes} pool processes on an embedded "
        f"redis-server: html, text and paragraphs jobs from worker/examples and tests/fixtures, "
        f"one job in {BAD_EVERY} a bad one. Machine: {os.cpu_count()} CPUs, shared with other "
        f"work. Model: {classifier.default_model().info}.", "",
        "| jobs sent | ok results | error results | missing | duplicates | wrong status | "
        "jobs/s | latency p50 | latency p99 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| {len(jobs)} | {statuses['ok']} | {statuses['error']} | {missing} | {duplicates} | "
        f"{wrong} | {throughput:.1f} | {p50 * 1000:.0f} ms | {p99 * 1000:.0f} ms |", "",
        "Latency runs from the send to the result's entry in `parasift:results`; jobs/s is the "
        "results over the time from the first send to the last result. Bad jobs, in turn: "
        "paragraphs not a list, no input, two inputs, no paragraphs, text not a string. "
        "'Wrong status' counts good jobs without an ok result and bad jobs without an error "
        "result.", "",
        "Pool process resident memory (RSS), and the slope of a straight line fitted to it "
        "against jobs answered:", "",
        "| pool process | RSS MB at start | RSS MB at end | MB per 1,000 jobs |",
        "| --- | --- | --- | --- |", *rows, "",
        "Samples:", "",
        "| seconds | jobs answered | " + " | ".join(f"pool {n + 1} MB" for n in range(processes))
        + " |", "|" + " --- |" * (processes + 2), *sample_rows, "",
        f"Reproduce: `.venv/bin/python -m bench.soak --minutes {minutes:g} --rate {rate:g}`", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="how long jobs are sent")
    parser.add_argument("--rate", type=float, default=25.0,
                        help="jobs per second, below the capacity of 2 pool processes "
                             "(see bench/results/burst.md for single jobs)")
    parser.add_argument("--sample-seconds", type=float, default=10.0,
                        help="how often the pool processes' memory is sampled")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    text = soak(args.minutes, args.rate, args.sample_seconds)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
