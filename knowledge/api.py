"""The JSON API for agents (/api/v1/…), authenticated by personal API tokens."""
from __future__ import annotations

from functools import wraps

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from config import inputs
from knowledge.search import QuerySyntaxError, Scope, parse, search_results
from knowledge.selectors import file_text, layer_file, layer_for, layers_for, serving_generation
from knowledge.services.tokens import api_token_authenticate

MAX_RESULTS = 200


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": {"message": message}}, status=status)


def token_required(view):
    """Bearer-token authentication, GET only, every answer JSON. No cookie authenticates here,
    so there is no cross-site request to forge: the CSRF check (an HTML 403) does not apply."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = _error(405, "The API only reads: use GET.")
            response["Allow"] = "GET, HEAD"
            return response
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = api_token_authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            response = _error(401, "A valid personal API token is required: Authorization: Bearer strata_…")
            response["WWW-Authenticate"] = 'Bearer realm="strata"'
            return response
        request.user = user
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return _error(404, str(exc) or "Not found.")

    return wrapped


def _layer_json(layer) -> dict:
    summary = layer.summary or {}
    return {
        "id": layer.pk, "repository": layer.repository.full_name, "status": layer.status,
        "failure_reason": layer.failure_reason or None, "commit": summary.get("commit"),
        "files": summary.get("files"), "symbols": summary.get("symbols"), "languages": summary.get("languages", []),
    }


@token_required
def layers(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"layers": [_layer_json(layer) for layer in layers_for(user=request.user)]})


@token_required
def search_view(request: HttpRequest) -> JsonResponse:
    query = inputs.text(request.GET.get("q"))
    if not query:
        return _error(400, "Give a query: /api/v1/search?q=…")
    try:
        parsed = parse(query)
    except QuerySyntaxError as exc:
        return _error(400, str(exc))
    page = search_results(user=request.user, scope=Scope(parsed), limit=MAX_RESULTS)
    return JsonResponse({"query": query, "results": [result.as_json() for result in page.results]})


@token_required
def file(request: HttpRequest, layer_id: int, path: str) -> JsonResponse:
    generation = serving_generation(layer_for(user=request.user, layer_id=layer_id))
    row = layer_file(generation, path)
    return JsonResponse({
        "layer": layer_id, "path": row.path, "language": row.language or None, "size": row.size, "lines": row.lines,
        "sha256": row.sha256, "binary": row.is_binary, "truncated": row.is_truncated,
        "content": None if row.is_binary else file_text(row),
    })


@token_required
def symbols(request: HttpRequest, layer_id: int) -> JsonResponse:
    generation = serving_generation(layer_for(user=request.user, layer_id=layer_id))
    if generation is None:
        return JsonResponse({"layer": layer_id, "symbols": []})
    rows = generation.symbols.select_related("file").order_by("name", "file__path", "line")
    if query := inputs.text(request.GET.get("q")):
        rows = rows.filter(name__icontains=query)
    return JsonResponse({"layer": layer_id, "symbols": [
        {"name": s.name, "kind": s.kind, "container": s.container or None, "path": s.file.path, "line": s.line, "end_line": s.end_line}
        for s in rows[:MAX_RESULTS]
    ]})
