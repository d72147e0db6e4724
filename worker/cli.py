"""`parasift`: the classifier's commands (label, train, evaluate) plus the service's:
`submit` jobs, read `results`, and `run` the whole service locally."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import tempfile
import time
from typing import Any

import redis
from kombu.exceptions import OperationalError
from kombu.utils.url import maybe_sanitize_url as safe  # passwords never reach the output

from worker.app import make_app
from worker.client import ResultsReader, follow, results_redis, submit_many, wait
from worker.config import Config, markdown_table
from worker.display import summary, table
from worker.files import example_jobs, jobs_from_file
from worker.service import LocalService
from worker.streams import Entry, dump_result, read_all


def _print_results(results: list[dict[str, Any]], as_json: bool) -> None:
    for result in results:
        print(dump_result(result).decode() if as_json else table(result) + "\n")


def cmd_submit(args: argparse.Namespace) -> int:
    try:
        jobs = [job for path in args.files for job in jobs_from_file(path)]
    except OSError as error:
        print(f"parasift submit: cannot read {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    except ValueError as error:  # nothing is sent unless every file holds jobs
        print(f"parasift submit: {error}", file=sys.stderr)
        return 2
    app = make_app()
    try:
        task_ids = submit_many(jobs, batch_size=args.batch, app=app)
    except OperationalError as error:
        print(f"parasift: cannot reach the broker {safe(app.conf.broker_url)}: {error}",
              file=sys.stderr)
        return 1
    except redis.ConnectionError as error:  # the ledger (worker.ledger), written first
        print(f"parasift: cannot reach Redis for the task ledger: {error}", file=sys.stderr)
        return 1
    if not args.wait:
        print("\n".join(task_ids))
        return 0
    results: list[dict[str, Any]] = []
    unanswered = 0
    for task_id in task_ids:
        try:
            reply = wait(task_id, timeout=args.timeout, app=app)
        except Exception as error:  # no answer in time, or the task died (hard time limit)
            print(f"parasift submit: task {task_id}: {type(error).__name__}: {error}",
                  file=sys.stderr)
            unanswered += 1
            continue
        results += reply if isinstance(reply, list) else [reply]
    _print_results(results, args.json)
    return 0 if not unanswered and all(r.get("status") == "ok" for r in results) else 1


def _show(entries: list[Entry], as_json: bool) -> None:
    for entry in entries:
        # A result published before lone surrogates were refused may hold one.
        print(dump_result(entry.result).decode() if as_json
              else f"{entry.entry_id}  {summary(entry.result)}", flush=True)


def cmd_results(args: argparse.Namespace) -> int:
    config = Config.from_env()
    client = results_redis(config)
    stream = config.dead_stream if args.dead else config.results_stream
    try:
        if not args.group:
            entries = read_all(client, stream)
            _show(entries, args.json)
            if args.follow:
                for entry in follow(client, stream, after=entries[-1].entry_id if entries else "0"):
                    _show([entry], args.json)
            return 0
        reader = ResultsReader(client, stream, args.group, args.consumer)
        # First what this consumer held before a restart, and what dead consumers left pending.
        backlog = reader.read(pending=True) + reader.reclaim(args.reclaim_ms)
        while True:
            entries = backlog or reader.read(block_ms=5000 if args.follow else None)
            backlog = []
            if not entries and not args.follow:
                break
            _show(entries, args.json)
            reader.ack(entries)  # only once they were handed on
    except KeyboardInterrupt:
        pass
    except redis.ConnectionError as error:
        print(f"parasift: cannot reach the Redis that holds {stream}: {error}", file=sys.stderr)
        return 1
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM stops `parasift run` the way Ctrl-C does


def _demo(service: LocalService) -> int:
    started = time.perf_counter()
    jobs = example_jobs()
    results = service.wait_all(submit_many(jobs, app=service.app), timeout=300)
    _print_results(results, as_json=False)
    print(f"{len(results)} example articles labelled through Redis and Celery by "
          f"{service.workers} worker(s) in {time.perf_counter() - started:.2f}s")
    return 0 if all(result.get("status") == "ok" for result in results) else 1


def _serve(service: LocalService) -> int:
    config = service.config
    where = "embedded redis-server, stopped with this command" if service.redis else "configured"
    print(f"parasift: broker {safe(config.broker_url)} ({where})")
    if service.redis:
        print(f"parasift: other shells reach it after "
              f"export PARASIFT_BROKER_URL={safe(config.broker_url)}")
    print(f"parasift: {service.workers} worker(s) with {service.concurrency or config.concurrency}"
          f" pool process(es) each; results in stream {config.results_stream}")
    if "flower" in service.processes:
        print(f"parasift: Flower on http://127.0.0.1:{config.flower_port}")
    print("parasift: Ctrl-C to stop", flush=True)
    while True:
        service.check_alive()
        time.sleep(1)


def cmd_run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    # The demo keeps worker logs in a file, to keep its table readable; `run` shows them.
    with (tempfile.TemporaryFile(prefix="parasift-run-") if args.demo
          else contextlib.nullcontext()) as log:
        service = LocalService(workers=args.workers, concurrency=args.concurrency,
                               flower=not (args.demo or args.no_flower), log=log)
        try:
            service.start()
            return _demo(service) if args.demo else _serve(service)
        except KeyboardInterrupt:
            print("parasift: stopping", file=sys.stderr)
            return 0
        except (RuntimeError, TimeoutError) as error:
            print(f"parasift: {error}", file=sys.stderr)
            if log:
                log.seek(0)
                sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            return 1
        finally:
            service.stop()


def build_parser() -> argparse.ArgumentParser:
    from classifier import cli as classifier_cli  # its heavy imports wait until a command runs

    parser = argparse.ArgumentParser(prog="parasift", description=__doc__)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    classifier_cli.register(commands)

    submit = commands.add_parser("submit", help="send job files to the workers")
    submit.add_argument("files", nargs="+", metavar="FILE",
                        help=".html, .txt, .json (a job or a list of paragraphs), .jsonl (jobs)")
    submit.add_argument("--wait", action="store_true", help="wait for and print the results")
    submit.add_argument("--json", action="store_true", help="with --wait: result messages")
    submit.add_argument("--batch", type=int, default=1, metavar="N",
                        help="send parasift.classify_batch tasks of N jobs")
    submit.add_argument("--timeout", type=float, default=300.0, help="seconds to wait per task")
    submit.set_defaults(func=cmd_submit)

    results = commands.add_parser("results", help="print the results stream")
    results.add_argument("--follow", action="store_true", help="keep printing new results")
    results.add_argument("--group", help="read as a consumer group: each entry once, acked")
    results.add_argument("--consumer", default=socket.gethostname(),
                         help="consumer name within the group; a consumer restarted under the "
                              "same name first gets back what it had not acknowledged")
    results.add_argument("--reclaim-ms", type=int, default=60_000, metavar="MS",
                         help="take over entries other consumers left pending this long")
    results.add_argument("--dead", action="store_true", help="the dead-letter stream instead")
    results.add_argument("--json", action="store_true", help="print result messages")
    results.set_defaults(func=cmd_results)

    run = commands.add_parser("run", help="run Redis (unless configured), workers and Flower")
    run.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes")
    run.add_argument("--concurrency", type=int, metavar="C",
                     help="pool processes per worker (default PARASIFT_CONCURRENCY)")
    run.add_argument("--no-flower", action="store_true", help="do not start Flower")
    run.add_argument("--demo", action="store_true",
                     help="label the example articles through the queue, print them, stop")
    run.set_defaults(func=cmd_run)

    settings = commands.add_parser("settings", help="print the environment variables it reads")
    settings.set_defaults(func=cmd_settings)
    return parser


def cmd_settings(args: argparse.Namespace) -> int:
    print(markdown_table())
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("parasift: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`parasift label x.jsonl | head -1`): there is no one left to
        # tell, and Python's own flush at exit would complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
