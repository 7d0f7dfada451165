"""REST 2.0 webhooks: repository hooks and workspace hooks (admins only), CRUD. Secrets never go out."""
from __future__ import annotations

from typing import Any

from sandbox import render
from sandbox.access import member_workspace, repository_or_404, role
from sandbox.listing import page, refine
from sandbox.model import Hook, Repository, Workspace, braced, new_uuid, utcnow
from sandbox.routing import Call, Router
from sandbox.web import HttpError, Response

EVENTS = {
    "issue:comment_created", "issue:created", "issue:updated", "pipeline:span_created",
    "project:updated", "pullrequest:approved", "pullrequest:changes_request_created",
    "pullrequest:changes_request_removed", "pullrequest:comment_created",
    "pullrequest:comment_deleted", "pullrequest:comment_reopened", "pullrequest:comment_resolved",
    "pullrequest:comment_updated", "pullrequest:created", "pullrequest:fulfilled",
    "pullrequest:push", "pullrequest:rejected", "pullrequest:unapproved", "pullrequest:updated",
    "repo:commit_comment_created", "repo:commit_status_created", "repo:commit_status_updated",
    "repo:created", "repo:deleted", "repo:fork", "repo:imported", "repo:push", "repo:transfer",
    "repo:updated",
}
SECRET_MAX = 128


def register(router: Router) -> None:
    for prefix, subject in (("/2.0/repositories/{ws}/{slug}/hooks", _repository_subject),
                            ("/2.0/workspaces/{ws}/hooks", _workspace_subject)):
        router.add("GET", prefix, _bind(list_hooks, subject), scope="webhook:read")
        router.add("POST", prefix, _bind(create_hook, subject), scope="webhook:write")
        router.add("GET", prefix + "/{uid}", _bind(get_hook, subject), scope="webhook:read")
        router.add("PUT", prefix + "/{uid}", _bind(update_hook, subject), scope="webhook:write")
        router.add("DELETE", prefix + "/{uid}", _bind(delete_hook, subject), scope="webhook:delete")


def _bind(handler, subject):
    """A handler for one kind of hook owner: the owner is found (and checked) under the lock."""
    def bound(call: Call, uid: str | None = None, **where: str) -> Response:
        with call.state.lock:
            owner = subject(call, **where)
            return handler(call, owner, uid) if uid else handler(call, owner)
    return bound


def _repository_subject(call: Call, ws: str, slug: str) -> Repository:
    # Bitbucket wants repository admin; the sandbox lets every workspace member manage hooks.
    repo = repository_or_404(call, ws, slug)
    if role(repo.workspace, call.principal.user) is None:
        raise HttpError(403, "You do not have permission to manage webhooks of this repository.")
    return repo


def _workspace_subject(call: Call, ws: str) -> Workspace:
    workspace = member_workspace(call, ws)
    if role(workspace, call.principal.user) != "owner":
        raise HttpError(403, "Only workspace administrators can manage workspace webhooks.")
    return workspace


def _find(subject: Repository | Workspace, uid: str) -> Hook:
    hook = subject.hooks.get(braced(uid).lower())
    if hook is None:
        raise HttpError(404, f"Webhook {uid} not found.")
    return hook


def _validated(body: Any, *, creating: bool) -> dict:
    if not isinstance(body, dict):
        raise HttpError(400, "Bad request", detail="The body must be a JSON object.")
    problems: dict[str, list[str]] = {}
    url = body.get("url")
    if (creating or "url" in body) and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        problems["url"] = ["Enter a valid http(s) URL."]
    events = body.get("events")
    if creating or "events" in body:
        if not isinstance(events, list) or not events:
            problems["events"] = ["At least one event is required."]
        elif set(events) - EVENTS:
            problems["events"] = [f"Unknown event: {e}" for e in sorted(set(events) - EVENTS)]
    secret = body.get("secret")
    if secret is not None and (not isinstance(secret, str) or len(secret) > SECRET_MAX):
        problems["secret"] = [f"The secret must be a string of at most {SECRET_MAX} characters."]
    if "active" in body and not isinstance(body["active"], bool):
        problems["active"] = ["Must be true or false."]
    if problems:
        raise HttpError(400, "Bad request", fields=problems,
                        detail="; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items()))
    return body


def list_hooks(call: Call, subject: Repository | Workspace) -> Response:
    values = [render.hook(h, call.request.base) for h in subject.hooks.values()]
    return Response.json(page(call.request, refine(call.request, values)))


def create_hook(call: Call, subject: Repository | Workspace) -> Response:
    body = _validated(call.request.json_body(), creating=True)
    hook = Hook(uuid=new_uuid(), url=body["url"], description=str(body.get("description") or ""),
                active=body.get("active", True), events=list(dict.fromkeys(body["events"])),
                secret=body.get("secret") or None, created_at=utcnow(), subject=subject)
    subject.hooks[hook.uuid.lower()] = hook
    return Response.json(render.hook(hook, call.request.base), status=201)


def get_hook(call: Call, subject: Repository | Workspace, uid: str) -> Response:
    return Response.json(render.hook(_find(subject, uid), call.request.base))


def update_hook(call: Call, subject: Repository | Workspace, uid: str) -> Response:
    """Fields left out stay; `secret` null or "" removes the secret."""
    hook = _find(subject, uid)
    body = _validated(call.request.json_body(), creating=False)
    hook.url = body.get("url", hook.url)
    hook.description = str(body.get("description", hook.description) or "")
    hook.active = body.get("active", hook.active)
    hook.events = list(dict.fromkeys(body.get("events", hook.events)))
    if "secret" in body:
        hook.secret = body["secret"] or None
    return Response.json(render.hook(hook, call.request.base))


def delete_hook(call: Call, subject: Repository | Workspace, uid: str) -> Response:
    hook = _find(subject, uid)
    del subject.hooks[hook.uuid.lower()]
    return Response.empty(204)
