"""REST 2.0 about the caller: /user, emails, /user/workspaces (and a role in one), /users/{u}, /workspaces/{ws}; and the 410s."""
from __future__ import annotations

from urllib.parse import quote

from sandbox import render
from sandbox.access import member_workspace, role, workspace_or_404
from sandbox.listing import page, refine
from sandbox.routing import Call, Router
from sandbox.web import HttpError, Response

GONE = ("This API is no longer available: it was removed on 2026-04-14 (CHANGE-2770). "
        "See https://developer.atlassian.com/cloud/bitbucket/changelog/#CHANGE-2770")


def register(router: Router) -> None:
    router.add("GET", "/2.0/user", current_user, scope="user")
    router.add("GET", "/2.0/user/emails", emails, scope="email")
    router.add("GET", "/2.0/user/workspaces", user_workspaces, scope="workspace")
    router.add("GET", "/2.0/user/workspaces/{ws}/permission", workspace_permission, scope="workspace")
    router.add("GET", "/2.0/users/{who}", one_user, scope="user")
    router.add("GET", "/2.0/workspaces/{ws}", one_workspace, scope="workspace")
    for removed in ("/2.0/workspaces", "/2.0/repositories", "/2.0/user/permissions/workspaces"):
        router.add("GET", removed, gone)


def gone(call: Call) -> Response:
    raise HttpError(410, GONE)


def current_user(call: Call) -> Response:
    return Response.json(render.current_user(call.principal.user, call.request.base))


def emails(call: Call) -> Response:
    user, base = call.principal.user, call.request.base
    values = [{"type": "email", "email": e.email, "is_primary": e.is_primary, "is_confirmed": e.is_confirmed,
               "links": {"self": render.link(f"{base}/2.0/user/emails/{quote(e.email)}")}}
              for e in user.emails]
    return Response.json(page(call.request, values))


def user_workspaces(call: Call) -> Response:
    """Only the workspaces the caller is a member of (the replacement of the removed /2.0/workspaces)."""
    user, base = call.principal.user, call.request.base
    with call.state.lock:
        values = [{"type": "workspace_access", "administrator": role(w, user) == "owner",
                   "workspace": render.workspace_base(w, base),
                   "links": {"self": render.link(f"{base}/2.0/user/workspaces/{w.slug}/permission")}}
                  for w in sorted(call.state.workspaces.values(), key=lambda w: w.slug)
                  if role(w, user) is not None]
    return Response.json(page(call.request, refine(call.request, values)))


def workspace_permission(call: Call, ws: str) -> Response:
    """The caller's role in one workspace; a workspace they do not belong to is a 403, as documented."""
    user, base = call.principal.user, call.request.base
    with call.state.lock:
        workspace = workspace_or_404(call, ws)
        permission = role(workspace, user)
        if permission is None:
            raise HttpError(403, "You do not have access to this workspace.")
        return Response.json({
            "type": "workspace_membership", "permission": permission,
            "user": render.user(user, base), "workspace": render.workspace_base(workspace, base),
            "links": {"self": render.link(f"{base}/2.0/user/workspaces/{workspace.slug}/permission")},
        })


def one_user(call: Call, who: str) -> Response:
    with call.state.lock:
        found = call.state.user(who)
        if found is None:
            raise HttpError(404, f"{who} not found")
        return Response.json(render.user(found, call.request.base))


def one_workspace(call: Call, ws: str) -> Response:
    with call.state.lock:
        return Response.json(render.workspace(member_workspace(call, ws), call.request.base))
