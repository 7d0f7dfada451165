"""Plain-text excerpts of files: the matching lines with a line of context around each, and the
character offsets of every match, for the page (which escapes and marks them) and the API alike."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from knowledge.models import ContentChunk
from knowledge.search.matching import LineMatcher
from knowledge.services.writer import CHUNK_LINES

CONTEXT = 1       # lines shown above and below a matching line
LINE_CHARS = 240  # a longer line (minified code) is cut around its first match
ELLIPSIS = "…"

Span = tuple[int, int]


@dataclass(frozen=True)
class Excerpt:
    line: int                  # the number of its first line
    snippet: str               # its lines joined by "\n"
    matches: tuple[Span, ...]  # [start, end) in characters of `snippet`

    def as_json(self) -> dict:
        return {"line": self.line, "snippet": self.snippet, "matches": [list(span) for span in self.matches]}

    def rows(self) -> list[tuple[int, list[tuple[str, bool]]]]:
        """(line number, [(text, is a match), …]) per line, for a template to escape and mark."""
        rows, offset = [], 0
        for number, text in enumerate(self.snippet.split("\n"), start=self.line):
            end = offset + len(text)
            spans = [(max(s, offset) - offset, min(e, end) - offset) for s, e in self.matches if s < end and e > offset]
            rows.append((number, segments(text, spans)))
            offset = end + 1
        return rows


def segments(text: str, spans: Iterable[Span]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is a match) parts by `spans`."""
    parts, at = [], 0
    for start, end in spans:
        if start > at:
            parts.append((text[at:start], False))
        parts.append((text[start:end], True))
        at = end
    if at < len(text) or not parts:
        parts.append((text[at:], False))
    return parts


def shorten(line: str, spans: list[Span]) -> tuple[str, list[Span]]:
    """At most LINE_CHARS of `line` (plus an ellipsis at a cut end), showing its first match, with
    the spans moved to match."""
    if len(line) <= LINE_CHARS:
        return line, spans
    first = spans[0][0] if spans else 0
    start = max(0, min(first - LINE_CHARS // 3, len(line) - LINE_CHARS))
    end = start + LINE_CHARS
    head = ELLIPSIS if start else ""
    cut = head + line[start:end] + (ELLIPSIS if end < len(line) else "")
    moved = [(max(s, start) - start + len(head), min(e, end) - start + len(head)) for s, e in spans if e > start and s < end]
    return cut, moved


def excerpt(lines: list[tuple[int, str]], matcher: LineMatcher) -> Excerpt:
    """One excerpt of consecutive (number, text) lines, every occurrence of a term marked."""
    texts, matches, offset = [], [], 0
    for _number, text in lines:
        cut, spans = shorten(text, matcher.spans(text))
        texts.append(cut)
        matches += [(offset + s, offset + e) for s, e in spans]
        offset += len(cut) + 1
    return Excerpt(lines[0][0], "\n".join(texts), tuple(matches))


def windows(numbers: Iterable[int], *, last: int | None = None) -> list[tuple[int, int]]:
    """[first, last] line ranges around `numbers`, CONTEXT lines each side, overlaps merged."""
    ranges: list[list[int]] = []
    for n in sorted(numbers):
        low, high = max(1, n - CONTEXT), n + CONTEXT if last is None else min(last, n + CONTEXT)
        if ranges and low <= ranges[-1][1] + 1:
            ranges[-1][1] = max(ranges[-1][1], high)
        else:
            ranges.append([low, high])
    return [(low, high) for low, high in ranges]


class LineBook:
    """Lines of files by (file id, number), filled from chunks already read, then from the chunks
    holding any lines still wanted, in one query."""

    def __init__(self) -> None:
        self._lines: dict[tuple[int, int], str] = {}

    def add_chunk(self, file_id: int, start_line: int, text: str) -> None:
        for offset, line in enumerate(text.split("\n")):
            self._lines[(file_id, start_line + offset)] = line

    def get(self, file_id: int, number: int) -> str | None:
        return self._lines.get((file_id, number))

    def fetch(self, wanted: dict[int, set[int]]) -> None:
        """Read the chunks holding the wanted lines not yet known (a chunk holds ≤ CHUNK_LINES lines)."""
        condition = Q()
        for file_id, numbers in wanted.items():
            missing = [n for n in numbers if (file_id, n) not in self._lines]
            if missing:
                condition |= Q(file_id=file_id, start_line__gt=min(missing) - CHUNK_LINES, start_line__lte=max(missing))
        if condition:
            for file_id, start, text in ContentChunk.objects.filter(condition).values_list("file_id", "start_line", "text"):
                self.add_chunk(file_id, start, text)

    def excerpts(self, file_id: int, ranges: list[tuple[int, int]], matcher: LineMatcher) -> list[Excerpt]:
        out, run = [], []
        for low, high in ranges:
            for n in range(low, high + 2):  # one past the end closes the last run
                text = self._lines.get((file_id, n)) if n <= high else None
                if text is not None:
                    run.append((n, text))
                elif run:
                    out.append(excerpt(run, matcher))
                    run = []
        return out
