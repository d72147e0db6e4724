"""``parasift label`` on every input kind, as a user runs it."""

import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def label(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
    if isinstance(stdin, str):
        stdin = stdin.encode()
    run = subprocess.run([sys.executable, "-m", "worker.cli", "label", *args], input=stdin,
                         capture_output=True, timeout=120)
    return subprocess.CompletedProcess(run.args, run.returncode, run.stdout.decode(),
                                       run.stderr.decode())


def test_text_file_prints_a_table_of_labelled_paragraphs():
    run = label(str(FIXTURES / "article.txt"))
    assert run.returncode == 0, run.stderr
    rows = [line.split(None, 3) for line in run.stdout.splitlines() if line[:4].strip().isdigit()]
    assert [int(row[0]) for row in rows] == list(range(13))
    assert {row[1] for row in rows} <= {"body", "appeal", "cruft"}
    assert "13 paragraphs:" in run.stdout


def test_html_file_with_json_prints_the_result_message():
    run = label(str(FIXTURES / "article.html"), "--json")
    result = json.loads(run.stdout)
    assert run.returncode == 0 and result["status"] == "ok"
    assert "Engineers inspected the levees" in result["body_text"]


def test_stdin_html_is_recognised():
    run = label("-", "--json", stdin=(FIXTURES / "article.html").read_text())
    assert json.loads(run.stdout)["paragraphs"][0]["text"] == "Skip to content"


def test_a_json_file_is_one_job_message(tmp_path):
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"id": "j1", "paragraphs": ["Menu", "A sentence of the story."]}))
    result = json.loads(label(str(job), "--json").stdout)
    assert result["id"] == "j1" and len(result["paragraphs"]) == 2


def test_jsonl_gives_one_result_per_line_in_order_with_errors_in_place(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("\n".join([json.dumps({"id": "a", "text": "One.\n\nTwo."}), "{broken",
                               json.dumps({"id": "c", "html": "<p>Three.</p>"})]) + "\n")
    run = label(str(jobs))
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 0
    assert [r["status"] for r in results] == ["ok", "error", "ok"]
    assert [results[0]["id"], results[2]["id"]] == ["a", "c"]
    assert results[1]["error"]["code"] == "malformed_json"


def test_bad_input_exits_non_zero_with_a_message(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_text("<html><script>x()</script></html>")
    run = label(str(empty))
    assert run.returncode == 1 and "no visible text" in run.stderr
    missing = label(str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


SENTENCE = "Café crème brûlée is the dessert that most of the guests ordered that night."


@pytest.mark.parametrize(("name", "data"), [
    ("latin1.html", f"<p>{SENTENCE}</p>".encode("cp1252")),
    ("declared.html", f"<meta charset='iso-8859-15'><p>{SENTENCE}</p>".encode("iso-8859-15")),
    ("utf16.html", f"<p>{SENTENCE}</p>".encode("utf-16")),
    ("latin1.txt", SENTENCE.encode("cp1252")),
], ids=["cp1252 html", "declared charset", "utf-16 bom", "cp1252 text"])
def test_files_are_read_in_their_own_charset(tmp_path, name, data):
    page = tmp_path / name
    page.write_bytes(data)
    result = json.loads(label(str(page), "--json").stdout)
    assert [p["text"] for p in result["paragraphs"]] == [SENTENCE]


def test_stdin_is_read_in_the_pages_charset_too():
    run = label("--as", "html", "-", "--json", stdin=f"<p>{SENTENCE}</p>".encode("cp1252"))
    assert json.loads(run.stdout)["body_text"] == SENTENCE


def test_jsonl_lines_end_at_line_ends_only_and_bad_utf8_is_an_error_in_place(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    # U+2028 may stand unescaped in a JSON string; str.splitlines would cut the line there.
    jobs.write_bytes(json.dumps({"id": "a", "text": "One\u2028two."}, ensure_ascii=False)
                     .encode() + b"\n" + '{"id": "b", "text": "Caf\xe9."}'.encode("cp1252")
                     + b"\n" + json.dumps({"id": "c", "text": "Three."}).encode() + b"\n")
    results = [json.loads(line) for line in label(str(jobs)).stdout.splitlines()]
    assert [r["status"] for r in results] == ["ok", "error", "ok"]
    assert results[0]["paragraphs"][0]["text"] == "One two."  # a line separator is whitespace
    assert results[1]["error"]["code"] == "undecodable"


def test_jsonl_with_lone_surrogates_gives_results_not_a_traceback(tmp_path):
    jobs = tmp_path / "surrogates.jsonl"
    jobs.write_text('{"id": "a", "text": "Hello \\ud800 world."}\n'
                    '{"id": "b\\udc00", "text": "Fine text."}\n')
    run = label(str(jobs), "--json")
    assert run.returncode == 0, run.stderr
    first, second = map(json.loads, run.stdout.splitlines())
    assert first["paragraphs"][0]["text"] == "Hello \ufffd world."
    assert (second["id"], second["error"]["code"]) == (None, "wrong_type")


def test_blank_lines_of_jsonl_get_an_error_result_each_so_results_line_up(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"id": "a", "text": "One."}\n\n   \n{"id": "d", "text": "Four."}\n')
    results = [json.loads(line) for line in label(str(jobs)).stdout.splitlines()]
    assert [(r["id"], r["status"]) for r in results] == [
        ("a", "ok"), (None, "error"), (None, "error"), ("d", "ok")]


def test_a_utf16_jsonl_file_is_refused_and_an_overlong_line_answered_in_its_place(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"id": "a", "text": "One."}\n', encoding="utf-16")
    run = label(str(jobs))
    assert run.returncode == 1 and "must be UTF-8" in run.stderr and run.stdout == ""
    long = json.dumps({"id": "b", "text": "word " * 2000})
    jobs.write_text(f'{{"id": "a", "text": "One."}}\n{long}\n{{"id": "c", "text": "Three."}}\n')
    run = subprocess.run([sys.executable, "-m", "worker.cli", "label", str(jobs)],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PARASIFT_MAX_BYTES": "100"})
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(r["id"], r["status"]) for r in results] == [("a", "ok"), (None, "error"), ("c", "ok")]
    assert results[1]["error"]["code"] == "too_large"


@pytest.mark.parametrize(("name", "data"), [
    ("page.php", b"<html><body><p>One.</p><p>Two.</p></body></html>"),
    ("-", b"\xef\xbb\xbf<html><body><p>One.</p><p>Two.</p></body></html>"),
    ("notes.txt", b"<One.>\n\nTwo."),
])
def test_markup_is_recognised_by_its_content_unless_the_name_says_text(tmp_path, name, data):
    if name == "-":
        run = label("-", "--json", stdin=data)
    else:
        (tmp_path / name).write_bytes(data)
        run = label(str(tmp_path / name), "--json")
    texts = [p["text"] for p in json.loads(run.stdout)["paragraphs"]]
    assert texts == (["<One.>", "Two."] if name == "notes.txt" else ["One.", "Two."])


def test_input_far_over_the_size_limit_is_refused_without_reading_it_all():
    run = subprocess.run([sys.executable, "-m", "worker.cli", "label", "/dev/zero"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PARASIFT_MAX_BYTES": "1000"})
    assert run.returncode == 1 and "over 11096 bytes" in run.stderr, run.stderr


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"text": "One line of text."}\n' * 2000)
    run = subprocess.run(f"{sys.executable} -m worker.cli label {jobs} | head -c 10",
                         shell=True, capture_output=True, text=True, timeout=300)
    assert len(run.stdout) == 10 and run.stderr == ""


@pytest.mark.skipif(platform.machine() != "x86_64", reason="reads x86-64 system call numbers")
def test_ctrl_c_ends_the_command_with_one_line():
    # As from a terminal: a shell starts background jobs (a CI run may be one) with Ctrl-C
    # ignored, and their children inherit that.
    waiting = subprocess.Popen([sys.executable, "-m", "worker.cli", "label", "-"],
                               stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # Until it blocks in read(0, ...) on stdin, which stays open: x86-64's read is system call
    # 0. (Reading some other pipe, imports do too: ctypes asks ldconfig for libraries.)
    syscall = Path(f"/proc/{waiting.pid}/syscall")
    deadline = time.monotonic() + 60
    while not syscall.read_text().startswith("0 0x0 ") and time.monotonic() < deadline:
        time.sleep(0.1)
    waiting.send_signal(signal.SIGINT)
    _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 130 and err.strip() == "parasift: interrupted"
