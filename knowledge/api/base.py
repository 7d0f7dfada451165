"""What every endpoint of the JSON API shares: bearer-token authentication, GET only, answers and
errors as JSON, and lists a page at a time behind a cursor."""
from __future__ import annotations

from functools import wraps

from django.http import Http404, HttpRequest, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from config.errors import json_error
from knowledge.cursors import BadCursor
from knowledge.services.api_tokens import api_token_authenticate


class BadParameter(ValueError):
    """A query parameter the endpoint cannot use; answered 400 with the message."""


def read_only(view):
    """GET and HEAD only; anything else is a JSON 405. No cookie authenticates here, so there is no
    cross-site request to forge: the CSRF check (an HTML 403) does not apply."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = json_error(405, "The API only reads: use GET.")
            response["Allow"] = "GET, HEAD"
            return response
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return json_error(404, str(exc) or "Not found.")
        except (BadParameter, BadCursor) as exc:
            return json_error(400, str(exc))

    return wrapped


def token_required(view):
    """read_only, and a valid personal token (Authorization: Bearer strata_…) names the user."""

    @read_only
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = api_token_authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            response = json_error(401, "A valid personal API token is required: Authorization: Bearer strata_…")
            response["WWW-Authenticate"] = 'Bearer realm="strata"'
            return response
        request.user = user
        return view(request, *args, **kwargs)

    return wrapped


def param(request: HttpRequest, name: str, *, limit: int = 1000) -> str:
    """A text parameter: NUL is refused (it cannot be stored, so it cannot match), length capped."""
    value = request.GET.get(name, "")
    if "\x00" in value:
        raise BadParameter(f"{name} cannot hold a NUL character.")
    if len(value) > limit:
        raise BadParameter(f"{name} is {len(value):,} characters long; keep it within {limit:,}.")
    return value.strip()


def page_size(request: HttpRequest, *, default: int, most: int) -> int:
    raw = request.GET.get("limit", "")
    if not raw:
        return default
    if not (raw.isascii() and raw.isdecimal()) or not 1 <= int(raw) <= most:
        raise BadParameter(f"limit must be a whole number from 1 to {most}.")
    return int(raw)


def cursor_param(request: HttpRequest) -> str:
    return param(request, "cursor", limit=4000)


def paged(request: HttpRequest, body: dict, next_cursor: str | None) -> JsonResponse:
    """`body` with the list's `next` cursor, the URL of the next page and whether this one is
    truncated (more items follow)."""
    next_url = None
    if next_cursor:
        params = QueryDict(request.GET.urlencode(), mutable=True)
        params["cursor"] = next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return JsonResponse({**body, "next": next_cursor, "next_url": next_url, "truncated": next_cursor is not None})
