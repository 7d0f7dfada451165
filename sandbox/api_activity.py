"""REST 2.0 activity: pull requests (state filter), one pull request, its activity, and pipelines."""
from __future__ import annotations

from urllib.parse import quote

from sandbox import render
from sandbox.access import repository_or_404
from sandbox.listing import page, refine
from sandbox.model import Activity, PullRequest, Repository, braced, iso
from sandbox.routing import Call, Router
from sandbox.web import HttpError, Response

BASE = "/2.0/repositories/{ws}/{slug}"
PR_STATES = {"OPEN", "MERGED", "DECLINED", "SUPERSEDED"}


def register(router: Router) -> None:
    router.add("GET", BASE + "/pullrequests", pullrequests, scope="pullrequest")
    router.add("GET", BASE + "/pullrequests/{pr_id}", one_pullrequest, scope="pullrequest")
    router.add("GET", BASE + "/pullrequests/{pr_id}/activity", activity, scope="pullrequest")
    router.add("GET", BASE + "/pipelines", pipelines, scope="pipeline")
    router.add("GET", BASE + "/pipelines/{pipeline}", one_pipeline, scope="pipeline")


def pullrequests(call: Call, ws: str, slug: str) -> Response:
    """Newest first; `state` may repeat (OPEN, MERGED, DECLINED, SUPERSEDED) and defaults to OPEN."""
    states = {s.upper() for s in call.request.args("state")} or {"OPEN"}
    if states - PR_STATES:
        raise HttpError(400, f"Invalid state: {', '.join(sorted(states - PR_STATES))}")
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        values = [render.pullrequest(repo, pr, call.request.base, full=False)
                  for pr in sorted(repo.pullrequests.values(), key=lambda p: -p.id)
                  if pr.state in states]
    return Response.json(page(call.request, refine(call.request, values), maximum=50))


def _pullrequest(repo: Repository, pr_id: str) -> PullRequest:
    pr = repo.pullrequests.get(int(pr_id)) if pr_id.isdigit() else None
    if pr is None:
        raise HttpError(404, f"Pull request #{pr_id} does not exist.")
    return pr


def one_pullrequest(call: Call, ws: str, slug: str, pr_id: str) -> Response:
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        return Response.json(render.pullrequest(repo, _pullrequest(repo, pr_id), call.request.base))


def _activity_entry(repo: Repository, pr: PullRequest, entry: Activity, base: str) -> dict:
    mini = {"type": "pullrequest", "id": pr.id, "title": pr.title,
            "links": {"self": render.link(f"{render.repo_api(repo, base)}/pullrequests/{pr.id}"),
                      "html": render.link(f"{base}/{repo.full_name}/pull-requests/{pr.id}")}}
    if entry.kind == "approval":
        return {"approval": {"date": iso(entry.date), "user": render.user(entry.user, base),
                             "pullrequest": mini}, "pull_request": mini}
    full = render.pullrequest(repo, pr, base)
    return {"update": {"state": entry.state, "title": entry.title, "description": entry.description,
                       "reason": "", "draft": False, "author": render.user(entry.user, base),
                       "date": iso(entry.date), "source": full["source"],
                       "destination": full["destination"], "reviewers": full["reviewers"],
                       "changes": {}},
            "pull_request": mini}


def activity(call: Call, ws: str, slug: str, pr_id: str) -> Response:
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        pr = _pullrequest(repo, pr_id)
        values = [_activity_entry(repo, pr, e, call.request.base) for e in reversed(pr.activity)]
    return Response.json(page(call.request, values, default=50, maximum=50))


def pipelines(call: Call, ws: str, slug: str) -> Response:
    """Oldest first unless sorted (clients ask for sort=-created_on)."""
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        values = [render.pipeline(repo, p, call.request.base) for p in repo.pipelines]
    return Response.json(page(call.request, refine(call.request, values)))


def one_pipeline(call: Call, ws: str, slug: str, pipeline: str) -> Response:
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        wanted = braced(pipeline).lower()
        found = next((p for p in repo.pipelines
                      if p.uuid.lower() == wanted or str(p.build_number) == pipeline), None)
        if found is None:
            raise HttpError(404, f"Pipeline {quote(pipeline)} not found.")
        return Response.json(render.pipeline(repo, found, call.request.base))
