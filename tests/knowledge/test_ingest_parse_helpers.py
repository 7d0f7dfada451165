"""Symbols parsed in helper processes: same results, same order, bounded, and cleaned up."""
from __future__ import annotations

import random
import signal

import pytest

from knowledge.ingest import parse_helper
from knowledge.ingest.archive import ArchiveTruncated, KiB
from knowledge.ingest.parse_helper import HelperFailed, Helpers
from knowledge.ingest.pipeline import Ingest, IngestOptions
from knowledge.ingest.symbols import ExtractedSymbol, SymbolKind
from tests.knowledge.test_ingest_pipeline import REPO
from tests.knowledge.test_ingest_support import Stream, repo_archive

SOURCES = REPO | {
    f"pkg/module{i:02}.py": f"class Model{i}:\n    def save(self):\n        return {i}\n\n\ndef helper{i}():\n    pass\n".encode()
    for i in range(30)
} | {
    "lib/point.go": b"package lib\n\ntype Point struct{ X int }\n\nfunc (p *Point) Move() {}\n",
    "src/main.rs": b"struct Thing;\nimpl Thing {\n    fn new() -> Self { Thing }\n}\n",
}


@pytest.fixture
def started(monkeypatch):
    """Every Helpers the pipeline starts, to look at its processes afterwards."""
    seen: list[Helpers] = []

    class Recorded(Helpers):
        def __init__(self, count):
            super().__init__(count)
            seen.append(self)

    monkeypatch.setattr("knowledge.ingest.pipeline.Helpers", Recorded)
    return seen


def _results(options: IngestOptions, data: bytes):
    ingest = Ingest(Stream(data), options)
    return [(r.path, r.symbols) for r in ingest], ingest.summary


def test_helpers_give_the_same_symbols_in_the_same_order_as_parsing_in_process(started):
    data = repo_archive(SOURCES)
    inline, inline_summary = _results(IngestOptions(), data)
    # Every file its own group, two helpers taking turns, and a tiny in-flight budget that forces waits.
    parallel, summary = _results(IngestOptions(parse_processes=2, parse_group_bytes=1, in_flight_bytes=2 * KiB), data)

    assert parallel == inline
    assert summary.symbols == inline_summary.symbols == sum(len(symbols) for _, symbols in inline) > 90
    assert dict(parallel)["pkg/module07.py"] == [
        ExtractedSymbol("Model7", SymbolKind.CLASS, 1, 3),
        ExtractedSymbol("save", SymbolKind.METHOD, 2, 3, "Model7"),
        ExtractedSymbol("helper7", SymbolKind.FUNCTION, 6, 7),
    ]
    assert len(started) == 1 and all(proc.poll() == 0 for proc in started[0]._procs)  # stopped cleanly


def test_a_small_repository_starts_no_helper(started):
    results, _ = _results(IngestOptions(parse_processes=1), repo_archive(REPO))
    assert len(results) == len(REPO) and started == []


def test_a_truncated_archive_still_yields_what_was_read_and_stops_the_helpers(started):
    contents = {f"src/m{i:03}.py": f"def f{i}():\n    return {i}\n".encode() + random.Random(i).randbytes(3 * KiB).hex().encode()
                for i in range(60)}
    data = repo_archive(contents)
    ingest = Ingest(Stream(data[: len(data) // 2]), IngestOptions(parse_processes=1, parse_group_bytes=8 * KiB))
    seen = []
    with pytest.raises(ArchiveTruncated):
        seen.extend(ingest)

    assert len(seen) > 10 and [r.path for r in seen] == sorted(contents)[: len(seen)]
    assert all(r.symbols[0].name == f"f{int(r.path[5:8])}" for r in seen)
    assert started and all(proc.poll() is not None for proc in started[0]._procs)


def test_a_reader_that_stops_early_does_not_leave_helpers_behind(started):
    ingest = iter(Ingest(Stream(repo_archive(SOURCES)), IngestOptions(parse_processes=1, parse_group_bytes=1)))
    for _ in range(10):
        next(ingest)
    ingest.close()
    assert started and all(proc.poll() is not None for proc in started[0]._procs)


def test_a_helper_that_dies_is_reported_not_waited_for():
    helpers = Helpers(1)
    try:
        helpers._procs[0].kill()
        helpers.submit([("Python", b"def f():\n    pass\n")])
        with pytest.raises(HelperFailed, match="the symbol parser stopped with exit status -9"):
            helpers.answer()
    finally:
        helpers.close()
    assert helpers._procs[0].poll() is not None


def test_the_helper_protocol_answers_each_group_in_turn():
    import io

    requests = io.BytesIO(
        parse_helper.frame([("Python", b"def a():\n    pass\n"), ("Go", b"package x\nfunc B() {}\n")])
        + parse_helper.frame([("Ruby", b"class C\nend\n")])
    )
    answers = io.BytesIO()
    parse_helper.serve(requests, answers)
    answers.seek(0)
    assert parse_helper.read_frame(answers.read) == [[("a", "function", 1, 2, None)], [("B", "function", 2, 2, None)]]
    assert parse_helper.read_frame(answers.read) == [[("C", "class", 1, 2, None)]]
    with pytest.raises(EOFError):
        parse_helper.read_frame(answers.read)


def test_a_helper_that_hangs_is_stopped_after_the_time_limit():
    helpers = Helpers(1, answer_timeout_s=0.5)
    try:
        helpers._procs[0].send_signal(signal.SIGSTOP)  # alive, never answering
        helpers.submit([("Python", b"def f():\n    pass\n")])
        with pytest.raises(HelperFailed, match="took longer than 0.5 s"):
            helpers.answer()
    finally:
        helpers.close()
    assert helpers._procs[0].poll() is not None


def _parse_in(results) -> None:
    helpers = Helpers(1)
    try:
        helpers.submit([("Python", b"def from_a_worker():\n    pass\n")])
        results.put([s.name for s in helpers.answer()[0]])
    finally:
        helpers.close()


def test_helpers_start_from_a_daemonic_worker_as_django_q_runs_jobs():
    import multiprocessing

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    worker = context.Process(target=_parse_in, args=(results,), daemon=True)
    worker.start()
    try:
        assert results.get(timeout=30) == ["from_a_worker"]
    finally:
        worker.join(timeout=10)
    assert worker.exitcode == 0


def test_a_helper_whose_build_is_gone_exits_quietly():
    import subprocess
    import sys

    from knowledge.ingest.parse_helper import _ROOT, frame

    helper = subprocess.Popen([sys.executable, "-m", "knowledge.ingest.parse_helper"], cwd=_ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    helper.stdout.close()  # the reader dies before the answer
    _, errors = helper.communicate(frame([("Python", b"def f():\n    pass\n")]), timeout=30)
    assert helper.returncode == 0 and errors == b""
