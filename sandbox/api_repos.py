"""REST 2.0 repositories: listing (role, q, sort), one repository, branches and commits."""
from __future__ import annotations

from sandbox import render
from sandbox.access import (
    ROLE_FILTER,
    can_read,
    repository_or_404,
    role,
    workspace_or_404,
)
from sandbox.listing import page, refine
from sandbox.operations import ancestors
from sandbox.routing import Call, Router
from sandbox.web import HttpError, Response

BASE = "/2.0/repositories/{ws}/{slug}"


def register(router: Router) -> None:
    router.add("GET", "/2.0/repositories/{ws}", repositories, scope="repository")
    router.add("GET", BASE, one_repository, scope="repository")
    router.add("GET", BASE + "/refs/branches", branches, scope="repository")
    router.add("GET", BASE + "/refs/branches/{name:path}", one_branch, scope="repository")
    router.add("GET", BASE + "/commits", commits, scope="repository")
    router.add("GET", BASE + "/commits/{revision:path}", commits, scope="repository")
    router.add("GET", BASE + "/commit/{revision}", one_commit, scope="repository")


def repositories(call: Call, ws: str) -> Response:
    """Repositories of one workspace the caller can read; `role` narrows to their own role in it."""
    wanted = call.request.arg("role")
    if wanted is not None and wanted not in ROLE_FILTER:
        raise HttpError(400, f"Invalid role '{wanted}': use member, contributor, admin or owner.")
    user, base = call.principal.user, call.request.base
    with call.state.lock:
        workspace = workspace_or_404(call, ws)
        mine = role(workspace, user)
        if wanted is not None and mine not in ROLE_FILTER[wanted]:
            found = []
        else:
            found = [r for r in call.state.repositories_of(workspace) if can_read(r, user)]
        values = [render.repository(r, base) for r in sorted(found, key=lambda r: r.slug)]
    return Response.json(page(call.request, refine(call.request, values)))


def one_repository(call: Call, ws: str, slug: str) -> Response:
    with call.state.lock:
        return Response.json(render.repository(repository_or_404(call, ws, slug), call.request.base))


def branches(call: Call, ws: str, slug: str) -> Response:
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        values = [render.branch(repo, name, call.request.base) for name in sorted(repo.branches)]
    return Response.json(page(call.request, refine(call.request, values)))


def one_branch(call: Call, ws: str, slug: str, name: str) -> Response:
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        if name not in repo.branches:
            raise HttpError(404, f"Branch \"{name}\" does not exist.")
        return Response.json(render.branch(repo, name, call.request.base))


def commits(call: Call, ws: str, slug: str, revision: str | None = None) -> Response:
    """Commits newest first: reachable from `revision` (or `include`, or every branch), minus `exclude`."""
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        starts = [revision] if revision else (call.request.args("include") or list(repo.branches))
        reachable: dict[str, None] = {}
        for start in starts:
            found = repo.resolve(start)
            if found is None:
                raise HttpError(404, f"Commit not found: {start}")
            reachable.update(dict.fromkeys(ancestors(repo, found.hash)))
        for stop in call.request.args("exclude"):
            found = repo.resolve(stop)
            for hash_ in ancestors(repo, found.hash if found else None):
                reachable.pop(hash_, None)
        ordered = sorted((repo.commits[h] for h in reachable), key=lambda c: c.date, reverse=True)
        values = [render.commit(repo, c, call.request.base) for c in ordered]
    return Response.json(page(call.request, values, default=30))


def one_commit(call: Call, ws: str, slug: str, revision: str) -> Response:
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        found = repo.resolve(revision)
        if found is None:
            raise HttpError(404, f"Commit not found: {revision}")
        return Response.json(render.commit(repo, found, call.request.base))
