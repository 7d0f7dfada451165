"""A helper process that extracts symbols for a build: ``python -m knowledge.ingest.parse_helper``.

It reads frames (an 8-byte length, then a pickle) holding groups of ``(language, source)`` from
stdin and writes, for each group in turn, a frame with each file's symbols as plain tuples. Only ever started by ``Helpers``, by the
same code on the same machine: the pickles never cross a trust boundary. Parsing hostile source
here also keeps a crash in a grammar out of the worker.
"""
from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from queue import SimpleQueue

from knowledge.ingest.symbols import ExtractedSymbol, SymbolKind, extract_symbols

_ROOT = Path(__file__).resolve().parents[2]

Group = list[tuple[str | None, bytes]]


class HelperFailed(RuntimeError):
    """A helper process exited before answering."""


_LENGTH = struct.Struct(">Q")


def frame(value) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(payload)) + payload


def _read_exact(read, size: int) -> bytes:
    parts, left = [], size
    while left:
        part = read(left)
        if not part:
            raise EOFError
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def read_frame(read):
    """The next frame's value; ``read(n)`` may return fewer bytes (a pipe), b"" means the end."""
    (size,) = _LENGTH.unpack(_read_exact(read, _LENGTH.size))
    return pickle.loads(_read_exact(read, size))


def serve(stdin, stdout) -> None:
    while True:
        try:
            group: Group = read_frame(stdin.read)
        except EOFError:
            return
        answer = [
            [(s.name, s.kind.value, s.line, s.end_line, s.container) for s in extract_symbols(language, source)]
            for language, source in group
        ]
        try:
            stdout.write(frame(answer))
            stdout.flush()
        except BrokenPipeError:
            # The build that asked is gone (stopped or killed): nothing to answer. Point stdout at
            # /dev/null so the interpreter's own flush at exit does not complain about it again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
            return


class Helpers:
    """``count`` helper processes; groups go to them in turn and answers come back in order.

    A thread per helper feeds its stdin, so this process never blocks on a full pipe while the
    helper waits for its answer to be read.
    """

    def __init__(self, count: int, *, answer_timeout_s: float = 600.0):
        self._answer_timeout_s = answer_timeout_s
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
        self._procs = [
            # Unbuffered: answers are read exactly, so select() on the pipe tells the truth.
            subprocess.Popen([sys.executable, "-m", "knowledge.ingest.parse_helper"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=env, cwd=_ROOT, bufsize=0)
            for _ in range(count)
        ]
        self._inboxes: list[SimpleQueue] = [SimpleQueue() for _ in self._procs]
        self._feeders = [
            threading.Thread(target=self._feed, args=(proc, inbox), daemon=True)
            for proc, inbox in zip(self._procs, self._inboxes, strict=True)
        ]
        for feeder in self._feeders:
            feeder.start()
        self._order: deque[int] = deque()  # which helper each unanswered group went to
        self._turn = 0

    @staticmethod
    def _feed(proc: subprocess.Popen, inbox: SimpleQueue) -> None:
        try:
            while (payload := inbox.get()) is not None:
                view = memoryview(payload)
                while view:
                    view = view[proc.stdin.write(view):]
        except (BrokenPipeError, ValueError):
            pass  # the helper died: the reader reports it
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def submit(self, group: Group) -> None:
        index = self._turn % len(self._procs)
        self._turn += 1
        self._inboxes[index].put(frame(group))
        self._order.append(index)

    def ready(self) -> bool:
        """Whether the oldest group's answer has started to arrive (reading it will not wait long)."""
        return bool(select.select([self._procs[self._order[0]].stdout], [], [], 0)[0])

    def answer(self) -> list[list[ExtractedSymbol]]:
        """The symbols of the oldest unanswered group, waiting for them if needed."""
        proc = self._procs[self._order.popleft()]
        if not select.select([proc.stdout], [], [], self._answer_timeout_s)[0]:
            proc.kill()
            raise HelperFailed(f"the symbol parser took longer than {self._answer_timeout_s:g} s on a group of files")
        try:
            rows = read_frame(proc.stdout.read)
        except (EOFError, pickle.UnpicklingError) as error:
            proc.wait()
            raise HelperFailed(f"the symbol parser stopped with exit status {proc.returncode}") from error
        return [[ExtractedSymbol(name, SymbolKind(kind), line, end, container) for name, kind, line, end, container in file]
                for file in rows]

    def close(self) -> None:
        abandoned = bool(self._order)  # groups nobody will read: stop at once, do not wait for them
        for inbox in self._inboxes:
            inbox.put(None)
        for proc in self._procs:
            if abandoned and proc.poll() is None:
                proc.kill()
        for proc, feeder in zip(self._procs, self._feeders, strict=True):
            feeder.join(timeout=10)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()


if __name__ == "__main__":
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer)
    except KeyboardInterrupt:
        pass  # Ctrl-C in a terminal running the worker reaches its helpers too
