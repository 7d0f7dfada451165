"""The endpoints of the JSON API (/api/v1/…): layers, one layer, a layer's files as a tree, one
file, a layer's symbols and search. Every list comes a page at a time (`next`, `next_url`,
`truncated`); another user's ids answer 404, exactly like missing ones."""
from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from config.errors import json_error
from knowledge.api.base import BadParameter, cursor_param, page_size, paged, param, read_only, token_required
from knowledge.api.openapi import document
from knowledge.cursors import BadCursor, cursor_dump, cursor_load
from knowledge.ingest.classify import language_named
from knowledge.ingest.symbols import SymbolKind
from knowledge.listings import directory_page, layers_page, symbols_page
from knowledge.search import KINDS, MAX_QUERY, QuerySyntaxError, Scope, parse, repositories_check, search_results
from knowledge.selectors import file_text, layer_file, layer_for, layers_for, serving_generation

LIST_SIZE, LIST_MOST = 50, 200
SEARCH_SIZE, SEARCH_MOST = 20, 100
SYMBOL_KINDS = [str(kind) for kind in SymbolKind]


def _url(request: HttpRequest, name: str, *args, **params) -> str:
    """The absolute URL of an endpoint, so an agent can follow it as it is."""
    query = "?" + urlencode(params) if params else ""
    return request.build_absolute_uri(reverse(name, args=args) + query)


def _layer_json(request: HttpRequest, layer) -> dict:
    summary = layer.summary or {}
    return {
        "id": layer.pk, "repository": layer.repository.full_name, "status": layer.status,
        "failure_reason": layer.failure_reason or None, "commit": summary.get("commit"),
        "files": summary.get("files"), "symbols": summary.get("symbols"), "languages": summary.get("languages", []),
        "built": summary.get("built"),  # how the serving version was built: incremental from a commit, or in full
        "url": _url(request, "api_layer", layer.pk),
    }


def _version(generation) -> object:
    """What a cursor must still find: the same generation at the same version (an incremental
    build keeps a generation's id and gives it the new version's number)."""
    return generation and [generation.pk, generation.number]


def _walk(request: HttpRequest, *, list_name: str, question: object, version: object):
    """The position of the page asked for (None: the first), and a maker of the next cursor."""
    cursor = cursor_param(request)
    after = cursor_load(cursor, list_name=list_name, question=question, version=version) if cursor else None

    def next_cursor(position) -> str | None:
        return None if position is None else cursor_dump(list_name=list_name, question=question, version=version, position=position)

    return after, next_cursor


def _checked(position, *types):
    """A cursor position of the shape a list made (a list of these types), else BadCursor."""
    if position is None:
        return None
    if isinstance(position, list) and len(position) == len(types) and all(isinstance(v, t) for v, t in zip(position, types, strict=True)):
        return position
    if len(types) == 1 and isinstance(position, types[0]):
        return position
    raise BadCursor("This cursor is not one Strata gave out: pass `next` exactly as it came.")


@token_required
def layers(request: HttpRequest) -> JsonResponse:
    after, next_cursor = _walk(request, list_name="layers", question=None, version=None)
    rows, position = layers_page(layers_for(user=request.user), after=_checked(after, str, int),
                                 limit=page_size(request, default=LIST_SIZE, most=LIST_MOST))
    return paged(request, {"layers": [_layer_json(request, layer) for layer in rows]}, next_cursor(position))


@token_required
def layer(request: HttpRequest, layer_id: int) -> JsonResponse:
    row = layer_for(user=request.user, layer_id=layer_id)
    summary = row.summary or {}
    return JsonResponse({
        **_layer_json(request, row), "readme": summary.get("readme"), "skipped": summary.get("skipped"),
        "links": {"files": _url(request, "api_files", row.pk), "symbols": _url(request, "api_symbols", row.pk)},
        # Search needs a query, so it is a template to fill in (RFC 6570), not a link that answers 400.
        "templates": {"search": _url(request, "api_search", repo=row.repository.full_name) + "{&q}"},
    })


@token_required
def files(request: HttpRequest, layer_id: int) -> JsonResponse:
    generation = serving_generation(layer_for(user=request.user, layer_id=layer_id))
    directory = param(request, "path").strip("/")
    directory = directory + "/" if directory else ""
    after, next_cursor = _walk(request, list_name="files", question=[layer_id, directory],
                               version=_version(generation))
    entries, position = directory_page(generation, directory, after=_checked(after, int, str),
                                       limit=page_size(request, default=LIST_SIZE, most=LIST_MOST))
    return paged(request, {"layer": layer_id, "path": directory, "entries": [_entry_json(request, layer_id, e) for e in entries]},
                 next_cursor(position))


def _entry_json(request: HttpRequest, layer_id: int, entry) -> dict:
    if entry.is_dir:
        return {"type": "dir", "name": entry.name, "path": entry.path, "files": entry.files,
                "url": _url(request, "api_files", layer_id, path=entry.path)}
    f = entry.file
    return {"type": "file", "name": entry.name, "path": entry.path, "language": f.language or None, "size": f.size,
            "lines": f.lines, "binary": f.is_binary, "vendored": f.is_vendored, "generated": f.is_generated,
            "url": _url(request, "api_file", layer_id, entry.path)}


@token_required
def file(request: HttpRequest, layer_id: int, path: str) -> JsonResponse:
    generation = serving_generation(layer_for(user=request.user, layer_id=layer_id))
    row = layer_file(generation, path)
    return JsonResponse({
        "layer": layer_id, "path": row.path, "language": row.language or None, "size": row.size, "lines": row.lines,
        "sha256": row.sha256, "binary": row.is_binary, "vendored": row.is_vendored, "generated": row.is_generated,
        "truncated": row.is_truncated, "content": None if row.is_binary else file_text(row),
    })


@token_required
def symbols(request: HttpRequest, layer_id: int) -> JsonResponse:
    generation = serving_generation(layer_for(user=request.user, layer_id=layer_id))
    query, kind = param(request, "q", limit=MAX_QUERY), param(request, "kind", limit=32)
    if kind and kind not in SYMBOL_KINDS:
        raise BadParameter(f"kind is one of {', '.join(SYMBOL_KINDS)}, not {kind!r}.")
    after, next_cursor = _walk(request, list_name="symbols", question=[layer_id, query, kind],
                               version=_version(generation))
    rows, position = symbols_page(generation, query=query, kind=kind, after=_checked(after, int),
                                  limit=page_size(request, default=LIST_SIZE, most=LIST_MOST))
    return paged(request, {"layer": layer_id, "symbols": [
        {"name": s.name, "kind": s.kind, "container": s.container or None, "path": s.file.path, "line": s.line,
         "end_line": s.end_line}
        for s in rows
    ]}, next_cursor(position))


@token_required
def search(request: HttpRequest) -> JsonResponse:
    text = param(request, "q", limit=MAX_QUERY)
    if not text:
        raise BadParameter("Give a query: /api/v1/search?q=…")
    kind = param(request, "kind", limit=32) or "all"
    if kind not in ("all", *KINDS):
        raise BadParameter(f"kind is one of all, {', '.join(KINDS)}.")
    lang = param(request, "lang", limit=100)
    language = language_named(lang) if lang else ""
    if language is None:
        raise BadParameter(f"No language is called {lang!r}.")
    try:
        query = parse(text)
        if query.empty:
            raise QuerySyntaxError("Add words to search for: repo:, path:, lang: and case: only narrow a search.")
        scope = Scope(query, repository=param(request, "repo", limit=300), language=language,
                      kind="symbol" if query.symbols_only else kind)
        repositories_check(user=request.user, scope=scope)
    except QuerySyntaxError as exc:
        raise BadParameter(str(exc)) from exc
    page = search_results(user=request.user, scope=scope, cursor=cursor_param(request),
                          limit=page_size(request, default=SEARCH_SIZE, most=SEARCH_MOST))
    return paged(request, {
        "query": text, "kind": scope.kind, "counts": {kind: total.as_json() for kind, total in page.counts.items()},
        "results": [result.as_json() for result in page.results],
    }, page.next)


@read_only
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(document(request.build_absolute_uri("/api/v1")), json_dumps_params={"indent": 1})


@read_only
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return json_error(404, "No such endpoint: the API is described at /api/v1/openapi.json.")
