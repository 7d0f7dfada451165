"""Search over a user's active layers: symbol names, paths and file content, with snippets."""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.functions import Length
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from config import inputs
from integrations.models import VISIBLE_CONNECTION, Repository, Workspace
from knowledge.models import ContentChunk, Generation, LayerFile, Symbol

MAX_QUERY = 200
LINES_PER_FILE = 3
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class Hit:
    kind: str  # "symbol", "content" or "path"
    layer_id: int
    repository: str
    path: str
    line: int
    snippet: SafeString
    symbol: str = ""
    symbol_kind: str = ""

    def as_json(self) -> dict:
        return {
            "kind": self.kind, "layer": self.layer_id, "repository": self.repository, "path": self.path,
            "line": self.line, "snippet": str(self.snippet), "symbol": self.symbol or None,
            "symbol_kind": self.symbol_kind or None,
        }


def active_generations(*, user) -> QuerySet[Generation]:
    """The generation each of the user's layers serves right now."""
    return Generation.objects.filter(
        layer__repository__workspace__connection__user=user,
        layer__repository__workspace__status=Workspace.Status.ACTIVE,
        layer__repository__workspace__connection__status__in=VISIBLE_CONNECTION,
        layer__repository__status=Repository.Status.LISTED,
        status=Generation.Status.READY,
        number=F("layer__active_generation"),
    )


def highlight(text: str, query: str) -> SafeString:
    """Escape `text` and wrap every case-insensitive occurrence of `query` in <mark>."""
    out, start = [], 0
    for match in re.finditer(re.escape(query), text, re.IGNORECASE) if query else ():
        out.append(escape(text[start:match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        start = match.end()
    out.append(escape(text[start:]))
    return mark_safe("".join(out))


def _contains(queryset: QuerySet, column: str, query: str, *, how: str = "contains") -> QuerySet:
    """`column` contains `query` (or, with `how="startswith"`, starts with it), case-insensitively,
    in a form the search indexes can serve."""
    table = queryset.model._meta.db_table
    if connection.vendor == "postgresql":
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = escaped + "%" if how == "startswith" else "%" + escaped + "%"
        return queryset.extra(where=[f'"{table}"."{column}" ILIKE %s'], params=[pattern])
    if how == "startswith":
        return queryset.filter(**{f"{column}__istartswith": query})
    if connection.vendor == "sqlite" and table == "knowledge_contentchunk" and len(query) >= 3:
        phrase = '"' + query.replace('"', '""') + '"'
        return queryset.extra(
            where=[f'"{table}"."id" IN (SELECT rowid FROM knowledge_contentchunk_fts WHERE knowledge_contentchunk_fts MATCH %s)'],
            params=[phrase],
        )
    return queryset.filter(**{f"{column}__icontains": query})


def _around(line: str, needle: str) -> str:
    """At most SNIPPET_CHARS of `line`, showing the first match (a minified line is long)."""
    if len(line) <= SNIPPET_CHARS:
        return line
    start = max(0, min(line.lower().find(needle) - SNIPPET_CHARS // 3, len(line) - SNIPPET_CHARS))
    return ("…" if start else "") + line[start:start + SNIPPET_CHARS] + ("…" if start + SNIPPET_CHARS < len(line) else "")


def _content_hits(chunks, query: str, limit: int) -> list[Hit]:
    needle, hits, per_file = query.lower(), [], {}
    for chunk in chunks:
        for offset, line in enumerate(chunk.text.split("\n")):
            if needle not in line.lower() or per_file.get(chunk.file_id, 0) >= LINES_PER_FILE:
                continue
            per_file[chunk.file_id] = per_file.get(chunk.file_id, 0) + 1
            hits.append(Hit("content", chunk.generation.layer_id, chunk.generation.layer.repository.full_name,
                            chunk.file.path, chunk.start_line + offset, highlight(_around(line.strip(), needle), query)))
            if len(hits) >= limit:
                return hits
    return hits


def _symbols(generations: list[int], query: str, limit: int) -> list[Symbol]:
    """Names starting with `query` first, shortest first (so the name itself leads), then names
    containing it: each asked of the index on its own, so a common name's own definition is never
    crowded out by the thousands of longer names that contain it."""
    symbols = Symbol.objects.filter(generation__in=generations).select_related("file", "generation__layer__repository")
    found = list(_contains(symbols, "name", query, how="startswith").order_by(Length("name"), "name", "file__path")[:limit])
    if len(found) < limit:
        rest = _contains(symbols, "name", query).exclude(pk__in=[s.pk for s in found]).order_by()[: (limit - len(found)) * 4]
        found += sorted(rest, key=lambda s: (len(s.name), s.name, s.file.path))[: limit - len(found)]
    return found


def search(*, user, query: str, limit: int = 30) -> list[Hit]:
    """Symbols first (exact names before partial ones), then content lines, then paths."""
    query = inputs.text(query, limit=MAX_QUERY)  # callers other than the views may pass raw input
    if not query:
        return []
    # One small query for the ids, then plain `IN (…)` filters the planner handles best.
    generations = list(active_generations(user=user).values_list("pk", flat=True))
    if not generations:
        return []
    hits: list[Hit] = []
    for s in _symbols(generations, query, limit):
        hits.append(Hit("symbol", s.generation.layer_id, s.generation.layer.repository.full_name, s.file.path, s.line,
                        highlight(f"{s.kind} {s.container + '.' if s.container else ''}{s.name}", query), s.name, s.kind))
    # No ORDER BY: the index scan can stop as soon as enough chunks matched.
    chunks = (
        _contains(ContentChunk.objects.filter(generation__in=generations, searchable=True), "text", query)
        .select_related("file", "generation__layer__repository")
        .only("id", "start_line", "text", "file_id", "file__path", "generation__layer_id",
              "generation__layer__repository__full_name")[: limit * 2]
    )
    hits.extend(_content_hits(chunks, query, limit))
    paths = (
        _contains(LayerFile.objects.filter(generation__in=generations), "path", query)
        .select_related("generation__layer__repository")
        .only("id", "path", "generation__layer_id", "generation__layer__repository__full_name")
        .order_by()[:limit]
    )
    for f in sorted(paths, key=lambda f: (len(f.path), f.path)):
        hits.append(Hit("path", f.generation.layer_id, f.generation.layer.repository.full_name, f.path, 1, highlight(f.path, query)))
    return hits
