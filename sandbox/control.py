"""The control API (/_sandbox/): reset, logs, faults, rate limit, token expiry and revocation, users.

Not part of Bitbucket: tests, demos and acceptance checks use it to arrange and observe.
"""
from __future__ import annotations

import re
import time

from sandbox import render
from sandbox.model import Repository
from sandbox.routing import Call, Router
from sandbox.seed import SeedError, add_user, load_seed
from sandbox.state import Fault, RateLimit
from sandbox.web import HttpError, Response

FAULT_STATUSES = {429, 500, 502, 503, 504}


def register(router: Router) -> None:
    routes = [
        ("POST", "/_sandbox/reset", reset),
        ("GET", "/_sandbox/requests", requests_log), ("DELETE", "/_sandbox/requests", clear_requests),
        ("GET", "/_sandbox/deliveries", deliveries), ("DELETE", "/_sandbox/deliveries", clear_deliveries),
        ("GET", "/_sandbox/faults", list_faults), ("POST", "/_sandbox/faults", add_fault),
        ("DELETE", "/_sandbox/faults", clear_faults),
        ("POST", "/_sandbox/ratelimit", set_ratelimit),
        ("POST", "/_sandbox/tokens/expire", expire_tokens),
        ("POST", "/_sandbox/users", create_user),
        ("POST", "/_sandbox/users/{nickname}/revoke", revoke),
        ("GET", "/_sandbox/hooks", all_hooks),
    ]
    for method, template, handler in routes:
        router.add(method, template, handler, kind="control")


def body_object(call: Call) -> dict:
    body = call.request.json_body()
    if not isinstance(body, dict):
        raise HttpError(400, "The body must be a JSON object.")
    return body


def reset(call: Call) -> Response:
    """Reload the seed; tokens, hooks, logs, faults and the rate limit go too."""
    with call.state.lock:
        try:
            load_seed(call.state)
        except SeedError as problem:
            raise HttpError(500, f"The seed cannot be loaded: {problem}") from problem
    return Response.json({"reset": True, "seed": str(call.state.seed_path)})


def _since(call: Call) -> int:
    try:
        return int(call.request.arg("since", "0"))
    except ValueError:
        raise HttpError(400, "since must be an integer.") from None


def requests_log(call: Call) -> Response:
    since = _since(call)
    with call.state.lock:
        return Response.json({"requests": [dict(e) for e in call.state.requests if e["seq"] > since]})


def clear_requests(call: Call) -> Response:
    with call.state.lock:
        call.state.requests.clear()
    return Response.empty()


def deliveries(call: Call) -> Response:
    since = _since(call)
    with call.state.lock:
        return Response.json({"deliveries": [dict(e) for e in call.state.deliveries if e["seq"] > since]})


def clear_deliveries(call: Call) -> Response:
    with call.state.lock:
        call.state.deliveries.clear()
    return Response.empty()


def _fault_json(fault: Fault) -> dict:
    return {"path": fault.pattern.pattern, "status": fault.status, "times": fault.times,
            "delay_s": fault.delay_s}


def list_faults(call: Call) -> Response:
    with call.state.lock:
        return Response.json({"faults": [_fault_json(f) for f in call.state.faults]})


def add_fault(call: Call) -> Response:
    """{"path": regex searched in path+query, "status": 429|500|502|503|504, "times": n (default 1;
    null = until cleared), "delay_s": s}. A delay without a status delays, then answers normally."""
    body = body_object(call)
    try:
        pattern = re.compile(str(body.get("path") or ""))
    except re.error as problem:
        raise HttpError(400, f"path is not a valid regular expression: {problem}") from None
    status, delay = body.get("status"), float(body.get("delay_s") or 0)
    if status is not None and status not in FAULT_STATUSES:
        raise HttpError(400, f"status must be one of {sorted(FAULT_STATUSES)}")
    if status is None and delay <= 0:
        raise HttpError(400, "a fault needs a status, a delay_s, or both")
    times = body.get("times", 1)
    if times is not None and (not isinstance(times, int) or times < 1):
        raise HttpError(400, "times must be a positive integer or null")
    fault = Fault(pattern, status, times, delay)
    with call.state.lock:
        call.state.faults.append(fault)
    return Response.json(_fault_json(fault), status=201)


def clear_faults(call: Call) -> Response:
    with call.state.lock:
        call.state.faults.clear()
    return Response.empty()


def set_ratelimit(call: Call) -> Response:
    """{"limit": N, "window_s": S}: the N+1st /2.0 request in a rolling S seconds gets a 429.
    A null or 0 limit switches it off."""
    body = body_object(call)
    limit = body.get("limit")
    with call.state.lock:
        if not limit:
            call.state.ratelimit = None
            return Response.json({"limit": None})
        window = float(body.get("window_s") or 3600)
        call.state.ratelimit = RateLimit(int(limit), window)
    return Response.json({"limit": int(limit), "window_s": window})


def expire_tokens(call: Call) -> Response:
    """Every access token issued so far expires now; refresh tokens keep working."""
    now = time.time()
    with call.state.lock:
        live = [t for t in call.state.access_tokens.values() if t.expires_at > now]
        for token in live:
            token.expires_at = now - 1
    return Response.json({"expired": len(live)})


def create_user(call: Call) -> Response:
    body = body_object(call)
    with call.state.lock:
        try:
            user = add_user(call.state, body)
        except SeedError as problem:
            raise HttpError(400, str(problem)) from None
        return Response.json(render.user(user, call.request.base), status=201)


def revoke(call: Call, nickname: str) -> Response:
    """The user revokes the app: their access and refresh tokens die. {"api_tokens": true} also
    revokes their API tokens."""
    body = body_object(call)
    with call.state.lock:
        user = call.state.users.get(nickname)
        if user is None:
            raise HttpError(404, f"No user {nickname!r}")
        access = [t for t in call.state.access_tokens.values() if t.user is user and not t.revoked]
        refresh = [t for t in call.state.refresh_tokens.values() if t.user is user and not t.revoked]
        for token in [*access, *refresh]:
            token.revoked = True
        for code in call.state.codes.values():
            if code.user is user:
                code.used = True
        api_tokens = [t for t in user.api_tokens if not t.revoked] if body.get("api_tokens") else []
        for token in api_tokens:
            token.revoked = True
    return Response.json({"revoked": {"access_tokens": len(access), "refresh_tokens": len(refresh),
                                      "api_tokens": len(api_tokens)}})


def all_hooks(call: Call) -> Response:
    """Every registered hook, repository and workspace ones alike (secrets shown only as secret_set)."""
    with call.state.lock:
        subjects = [*call.state.workspaces.values(), *call.state.repositories.values()]
        values = [{"uuid": h.uuid, "url": h.url, "events": list(h.events), "active": h.active,
                   "secret_set": h.secret is not None,
                   "subject_type": "repository" if isinstance(s, Repository) else "workspace",
                   "subject": s.full_name if isinstance(s, Repository) else s.slug}
                  for s in subjects for h in s.hooks.values()]
    return Response.json({"hooks": values})
