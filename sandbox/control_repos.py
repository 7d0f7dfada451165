"""The control API for Bitbucket content: workspaces, members, repositories, commits, pull requests,
pipelines, renames and removals. Changes fire webhooks like the real events would."""
from __future__ import annotations

from pathlib import Path

from sandbox import operations, render
from sandbox.control import body_object
from sandbox.model import ROLES, Repository, User, Workspace, utcnow
from sandbox.routing import Call, Router
from sandbox.seed import SLUG, SeedError, add_repository, add_workspace, default_actor
from sandbox.sources import SourceError, file_bytes
from sandbox.trees import clean_path
from sandbox.web import HttpError, Response

REPO = "/_sandbox/repositories/{ws}/{slug}"
PR_ACTIONS = ("update", "approve", "merge", "decline")


def register(router: Router) -> None:
    routes = [
        ("POST", "/_sandbox/workspaces", create_workspace),
        ("POST", "/_sandbox/workspaces/{ws}/rename", rename_workspace),
        ("DELETE", "/_sandbox/workspaces/{ws}", delete_workspace),
        ("POST", "/_sandbox/workspaces/{ws}/members", set_member),
        ("POST", "/_sandbox/repositories", create_repositories),
        ("POST", REPO + "/rename", rename_repository),
        ("DELETE", REPO, delete_repository),
        ("POST", REPO + "/commits", push_commit),
        ("DELETE", REPO + "/branches/{name:path}", remove_branch),
        ("POST", REPO + "/pullrequests", create_pullrequest),
        ("POST", REPO + "/pullrequests/{pr_id}/{action}", pullrequest_action),
        ("POST", REPO + "/pipelines", create_pipeline),
    ]
    for method, template, handler in routes:
        router.add(method, template, _guarded(handler), kind="control")


def _guarded(handler):
    """Run under the state lock; a bad body (SeedError, OperationError) is the caller's 400."""
    def run(call: Call, **params: str) -> Response:
        with call.state.lock:
            try:
                return handler(call, **params)
            except (SeedError, operations.OperationError) as problem:
                raise HttpError(400, str(problem)) from None
    return run


def _workspace(call: Call, ws: str) -> Workspace:
    workspace = call.state.workspace(ws)
    if workspace is None:
        raise HttpError(404, f"No workspace {ws!r}")
    return workspace


def _repository(call: Call, ws: str, slug: str) -> Repository:
    repo = call.state.repository(ws, slug)
    if repo is None:
        raise HttpError(404, f"No repository {ws}/{slug}")
    return repo


def _user(call: Call, nickname: str | None, fallback: User) -> User:
    if nickname is None:
        return fallback
    user = call.state.users.get(nickname)
    if user is None:
        raise HttpError(400, f"No user {nickname!r}")
    return user


def _new_slug(value, taken: bool) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise HttpError(400, f"Not a valid slug: {value!r}")
    if taken:
        raise HttpError(400, f"The slug {value!r} is taken")
    return value


def create_workspace(call: Call) -> Response:
    workspace = add_workspace(call.state, body_object(call), created_on=utcnow())
    return Response.json(render.workspace(workspace, call.request.base), status=201)


def rename_workspace(call: Call, ws: str) -> Response:
    workspace, body = _workspace(call, ws), body_object(call)
    if "slug" in body and body["slug"] != workspace.slug:
        workspace.slug = _new_slug(body["slug"], call.state.workspace(body["slug"]) is not None)
    workspace.name = body.get("name") or workspace.name
    return Response.json(render.workspace(workspace, call.request.base))


def delete_workspace(call: Call, ws: str) -> Response:
    workspace = _workspace(call, ws)
    for repo in call.state.repositories_of(workspace):
        del call.state.repositories[repo.uuid]
    del call.state.workspaces[workspace.uuid]
    return Response.empty()


def set_member(call: Call, ws: str) -> Response:
    """{"user": nickname, "role": null | "member" | "owner"}: give or take away access."""
    workspace, body = _workspace(call, ws), body_object(call)
    if not body.get("user"):
        raise HttpError(400, "user is required")
    user = call.state.users.get(body["user"])
    if user is None:
        raise HttpError(400, f"No user {body['user']!r}")
    role = body.get("role")
    if role is None:
        workspace.members.pop(user.nickname, None)
    elif role in ROLES:
        workspace.members[user.nickname] = role
    else:
        raise HttpError(400, f"role must be null or one of {', '.join(ROLES)}")
    return Response.json({"workspace": workspace.slug, "user": user.nickname, "role": role})


def create_repositories(call: Call) -> Response:
    """A repository in the seed's shape, or a list of them (relative paths: from the seed file)."""
    body = call.request.json_body()
    seed_dir = call.state.seed_path.parent if call.state.seed_path else Path.cwd()
    specs = body if isinstance(body, list) else [body]
    if not all(isinstance(spec, dict) for spec in specs):
        raise HttpError(400, "The body must be a repository object or a list of them.")
    created = [add_repository(call.state, spec, seed_dir, created_on=utcnow()) for spec in specs]
    shapes = [render.repository(r, call.request.base) for r in created]
    return Response.json(shapes if isinstance(body, list) else shapes[0], status=201)


def rename_repository(call: Call, ws: str, slug: str) -> Response:
    repo, body = _repository(call, ws, slug), body_object(call)
    if "slug" in body and body["slug"] != repo.slug:
        taken = call.state.repository(repo.workspace.slug, body["slug"]) is not None
        repo.slug = _new_slug(body["slug"], taken)
    repo.name = body.get("name") or repo.name
    return Response.json(render.repository(repo, call.request.base))


def delete_repository(call: Call, ws: str, slug: str) -> Response:
    del call.state.repositories[_repository(call, ws, slug).uuid]
    return Response.empty()


def _safe(raw) -> str:
    path = clean_path(raw)
    if path is None:
        raise HttpError(400, f"unsafe path {raw!r}")
    return path


def push_commit(call: Call, ws: str, slug: str) -> Response:
    """{"branch", "files": {path: text | {"base64"}}, "delete": [paths], "rename": {old: new},
    "parent", "message", "author"}: fires repo:push (forced when `parent` rewrites the branch)."""
    repo, body = _repository(call, ws, slug), body_object(call)
    files, renames = body.get("files") or {}, body.get("rename") or {}
    if not isinstance(files, dict):
        raise HttpError(400, "files must map paths to text")
    try:
        writes = {_safe(raw): file_bytes(content) for raw, content in files.items()}
    except SourceError:
        raise HttpError(400, "files must map paths to text or {\"base64\": …}") from None
    if not isinstance(renames, dict) or not all(isinstance(v, str) for v in renames.values()):
        raise HttpError(400, "rename must map old paths to new paths")
    parent = body.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise HttpError(400, "parent must be a commit hash")
    author = _user(call, body.get("author"), default_actor(call.state, repo.workspace))
    commit, events = operations.commit(
        repo, branch=body.get("branch"), writes=writes, deletes=list(body.get("delete") or []),
        renames={_safe(old): _safe(new) for old, new in renames.items()}, parent=parent,
        message=body.get("message") or "Update files", author=author, when=utcnow())
    call.delivery.fire(events, call.request.base)
    branch = next(name for name, head in repo.branches.items() if head == commit.hash)
    return Response.json({**render.commit(repo, commit, call.request.base), "branch": branch},
                         status=201)


def remove_branch(call: Call, ws: str, slug: str, name: str) -> Response:
    repo = _repository(call, ws, slug)
    body = body_object(call)
    actor = _user(call, body.get("author"), default_actor(call.state, repo.workspace))
    call.delivery.fire(operations.delete_branch(repo, name, actor), call.request.base)
    return Response.empty()


def create_pullrequest(call: Call, ws: str, slug: str) -> Response:
    """{"title", "source", "destination", "author", "description", "reviewers"}: pullrequest:created."""
    repo, body = _repository(call, ws, slug), body_object(call)
    fallback = default_actor(call.state, repo.workspace)
    pr, events = operations.open_pullrequest(
        repo, title=body.get("title") or f"Merge {body.get('source')}", source=body.get("source"),
        destination=body.get("destination"), author=_user(call, body.get("author"), fallback),
        description=body.get("description") or "",
        reviewers=[_user(call, n, fallback) for n in body.get("reviewers") or []], when=utcnow())
    call.delivery.fire(events, call.request.base)
    return Response.json(render.pullrequest(repo, pr, call.request.base), status=201)


def pullrequest_action(call: Call, ws: str, slug: str, pr_id: str, action: str) -> Response:
    """update {"title", "description", "destination"} | approve | merge | decline, each with an
    optional {"user"}: fires pullrequest:updated / approved / fulfilled (+ repo:push) / rejected."""
    repo, body = _repository(call, ws, slug), body_object(call)
    pr = repo.pullrequests.get(int(pr_id)) if pr_id.isdigit() else None
    if pr is None or action not in PR_ACTIONS:
        raise HttpError(404, f"No pull request #{pr_id} or action {action!r}")
    if action == "approve":
        others = [call.state.users[n] for n in repo.workspace.members if n != pr.author.nickname]
        user = _user(call, body.get("user"), others[0] if others else pr.author)
    else:
        user = _user(call, body.get("user"), pr.author)
    now = utcnow()
    if action == "update":
        events = operations.update_pullrequest(repo, pr, title=body.get("title"),
                                               description=body.get("description"),
                                               destination=body.get("destination"), actor=user, when=now)
    elif action == "approve":
        events = operations.approve(repo, pr, user, now)
    elif action == "merge":
        events = operations.merge(repo, pr, user, now)
    else:
        events = operations.decline(repo, pr, user, now)
    call.delivery.fire(events, call.request.base)
    return Response.json(render.pullrequest(repo, pr, call.request.base))


def create_pipeline(call: Call, ws: str, slug: str) -> Response:
    """{"state", "duration_s", "branch", "creator"}: a pipeline run that just finished (or runs)."""
    repo, body = _repository(call, ws, slug), body_object(call)
    pipeline = operations.add_pipeline(
        repo, state=body.get("state") or "SUCCESSFUL", duration_s=int(body.get("duration_s") or 60),
        branch=body.get("branch"),
        creator=_user(call, body.get("creator"), default_actor(call.state, repo.workspace)),
        finished=utcnow())
    return Response.json(render.pipeline(repo, pipeline, call.request.base), status=201)
