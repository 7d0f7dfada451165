"""Reads that list a page at a time (the API's lists): the user's layers, one directory of a
layer's files, a layer's symbols. Each page is one query that filters, orders and limits in the
database, and says where the next page starts (None after the last)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Left, StrIndex, Substr
from django.http import Http404

from knowledge.models import Generation, KnowledgeLayer, LayerFile, Symbol
from knowledge.search.matching import text_condition


@dataclass(frozen=True)
class Entry:
    """One entry of a directory: a folder (with how many files lie beneath) or a file."""
    name: str
    path: str
    is_dir: bool
    files: int = 0
    file: LayerFile | None = None


def layers_page(layers: QuerySet[KnowledgeLayer], *, after: list | None, limit: int) -> tuple[list[KnowledgeLayer], list | None]:
    """Layers by repository name (then id), from after [name, id]."""
    if after is not None:
        name, pk = after
        layers = layers.filter(Q(repository__full_name__gt=name) | Q(repository__full_name=name, pk__gt=pk))
    rows = list(layers.order_by("repository__full_name", "pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, [rows[-1].repository.full_name, rows[-1].pk] if more else None


def directory_page(generation: Generation | None, directory: str, *, after: list | None, limit: int) -> tuple[list[Entry], list | None]:
    """The folders, then the files, directly inside `directory` ("" for the root, else "a/b/"),
    by name; Http404 when no file lies beneath it."""
    if generation is None:
        if directory:
            raise Http404("No such directory in this knowledge layer.")
        return [], None
    depth = len(directory)
    below = LayerFile.objects.filter(generation=generation)
    if directory:
        below = below.annotate(head=Left("path", depth)).filter(head=directory)
    rest = Substr("path", depth + 1)
    children = below.annotate(slash=StrIndex(rest, Value("/"))).annotate(
        name=Case(When(slash__gt=0, then=Left(rest, F("slash") - 1)), default=rest),
        is_file=Case(When(slash__gt=0, then=Value(0)), default=Value(1), output_field=IntegerField()),
    )
    if after is not None:
        is_file, name = after
        children = children.filter(Q(is_file__gt=is_file) | Q(is_file=is_file, name__gt=name))
    rows = list(children.values("is_file", "name").annotate(files=Count("id"), one=Max("id")).order_by("is_file", "name")[: limit + 1])
    if not rows and after is None and directory:
        raise Http404(_missing(generation, directory))
    more = len(rows) > limit
    rows = rows[:limit]
    files = LayerFile.objects.in_bulk([row["one"] for row in rows if row["is_file"]])
    entries = [
        Entry(row["name"], directory + row["name"] + ("" if row["is_file"] else "/"), not row["is_file"], row["files"],
              files.get(row["one"]) if row["is_file"] else None)
        for row in rows
    ]
    return entries, [rows[-1]["is_file"], rows[-1]["name"]] if more else None


def _missing(generation: Generation, directory: str) -> str:
    if LayerFile.objects.filter(generation=generation, path=directory.rstrip("/")).exists():
        return f"{directory.rstrip('/')} is a file, not a directory: read it at files/{directory.rstrip('/')}."
    return "No such directory in this knowledge layer."


def symbols_page(generation: Generation | None, *, query: str, kind: str, after: int | None, limit: int) -> tuple[list[Symbol], int | None]:
    """Symbols by name, then path and line; `query` a substring of the name, `kind` exact."""
    if generation is None:
        return [], None
    rows = Symbol.objects.filter(generation=generation).select_related("file")
    if query:
        rows = rows.filter(text_condition("name", [query], case=False))
    if kind:
        rows = rows.filter(kind=kind)
    offset = after or 0
    found = list(rows.order_by("name", "file__path", "line", "id")[offset: offset + limit + 1])
    more = len(found) > limit
    return found[:limit], offset + limit if more else None
