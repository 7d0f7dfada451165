"""A search as callers ask for it: counts per kind and one page of results behind a cursor; the
API walks the kinds in turn (symbols, then paths, then content), the page shows each kind apart."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from knowledge.cursors import BadCursor, cursor_dump, cursor_load
from knowledge.search.results import Layer, Result, Scope, Total, count, few_files, layers_in_scope, listing

LIST = "search"
PREVIEW = 5  # symbols and paths shown above the content on the page's "all kinds" view


@dataclass
class SearchPage:
    results: list[Result] = field(default_factory=list)
    counts: dict[str, Total] = field(default_factory=dict)
    next: str | None = None
    first: int = 1  # the place of the first result in the whole list, from 1


@dataclass
class Overview:
    """The page's "all kinds" view: a few symbols and paths, then content files with a cursor."""
    counts: dict[str, Total]
    symbols: list[Result]
    paths: list[Result]
    content: SearchPage


def search_results(*, user, scope: Scope, cursor: str = "", limit: int = 20) -> SearchPage:
    """One page of `scope`'s results, kinds in turn, and their counts; BadCursor for a cursor that
    is not this search's."""
    layers = layers_in_scope(user=user, scope=scope)
    indexed = not few_files(scope, layers)
    counts = {kind: count(kind, scope, layers, indexed=indexed) for kind in scope.kinds}
    return _page(scope, layers, counts, cursor, limit, indexed)


def search_overview(*, user, scope: Scope, cursor: str = "", limit: int = 20) -> Overview:
    layers = layers_in_scope(user=user, scope=scope)
    indexed = not few_files(scope, layers)
    counts = {kind: count(kind, scope, layers, indexed=indexed) for kind in scope.kinds}
    preview = {kind: listing(kind, scope, layers, after=None, limit=PREVIEW).results if kind in counts and counts[kind].value
               else [] for kind in ("symbol", "path")}
    page = SearchPage()
    if "content" in counts:
        page = _page(replace(scope, kind="content"), layers, {"content": counts["content"]}, cursor, limit, indexed)
    return Overview(counts, preview["symbol"], preview["path"], page)


def _page(scope: Scope, layers: list[Layer], counts: dict[str, Total], cursor: str, limit: int, indexed: bool) -> SearchPage:
    question, version = asdict(scope), [[layer.generation_id, layer.version] for layer in layers]
    kinds = scope.kinds
    at, after, seen = _position(cursor_load(cursor, list_name=LIST, question=question, version=version), kinds) if cursor else (0, None, 0)
    results: list[Result] = []
    while at < len(kinds) and len(results) < limit:
        if counts[kinds[at]].value:
            page = listing(kinds[at], scope, layers, after=after, limit=limit - len(results), indexed=indexed)
            results += page.results
            after = page.after
        if after is None:
            at += 1
    while at < len(kinds) and after is None and not counts[kinds[at]].value:
        at += 1  # nothing left to find there: no cursor to an empty page
    done = at >= len(kinds)
    position = [at, after, seen + len(results)]
    token = None if done else cursor_dump(list_name=LIST, question=question, version=version, position=position)
    return SearchPage(results, counts, token, first=seen + 1)


def _position(position, kinds: tuple[str, ...]) -> tuple[int, object, int]:
    """(kind index, where in that kind, results before) from a cursor, checked against the shapes
    listing() makes."""
    try:
        at, after, seen = position
        kind = kinds[at]
        if not isinstance(seen, int):
            raise TypeError
        if after is None:
            return at, None, seen
        if kind == "symbol" and isinstance(after, int) and after >= 0:
            return at, after, seen
        generation_id, path, pk = after
        if kind != "symbol" and isinstance(generation_id, int) and isinstance(path, str) and isinstance(pk, int):
            return at, after, seen
    except (TypeError, ValueError, IndexError):
        pass
    raise BadCursor("This cursor is not one Strata gave out: pass `next` exactly as it came.")
