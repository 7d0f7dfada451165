"""Webhook payloads (repo:push, pullrequest:*), shaped like the real ones in ../shared/bitbucket/webhooks/."""
from __future__ import annotations

from sandbox import render
from sandbox.model import Repository, iso
from sandbox.operations import Event, PushChange


def repository(r: Repository, base: str) -> dict:
    full = render.repository(r, base)
    keep = ("type", "full_name", "links", "name", "scm", "website", "owner", "workspace",
            "is_private", "project", "uuid", "parent")
    shape = {k: full[k] for k in keep}
    shape["links"] = {k: full["links"][k] for k in ("self", "html", "avatar")}
    return shape


def _ref(r: Repository, branch: str, hash_: str, base: str) -> dict:
    api = render.repo_api(r, base)
    return {"type": "branch", "name": branch,
            "target": render.commit(r, r.commits[hash_], base),
            "links": {"self": render.link(f"{api}/refs/branches/{render.q(branch)}"),
                      "commits": render.link(f"{api}/commits/{render.q(branch)}"),
                      "html": render.link(f"{base}/{r.full_name}/branch/{render.q(branch)}")},
            "merge_strategies": render.MERGE_STRATEGIES, "default_merge_strategy": "merge_commit"}


def _change(r: Repository, change: PushChange, base: str) -> dict:
    api = render.repo_api(r, base)
    shown = change.commits[:5]
    links = {"html": render.link(f"{base}/{r.full_name}/branch/{render.q(change.branch)}")}
    if change.new:
        exclude = f"&exclude={change.old}" if change.old else ""
        links["commits"] = render.link(f"{api}/commits?include={change.new}{exclude}")
        if change.old:
            links["diff"] = render.link(f"{api}/diff/{change.new}..{change.old}")
    return {"old": _ref(r, change.branch, change.old, base) if change.old else None,
            "new": _ref(r, change.branch, change.new, base) if change.new else None,
            "created": change.old is None, "closed": change.new is None, "forced": change.forced,
            "truncated": len(change.commits) > len(shown), "links": links,
            "commits": [render.commit(r, r.commits[h], base) for h in shown]}


def build(event: Event, base: str) -> dict:
    """The JSON body for one event (built when it fires, so it shows the state of that moment)."""
    r = event.repository
    payload: dict = {}
    if event.change is not None:
        payload["push"] = {"changes": [_change(r, event.change, base)]}
    if event.pullrequest is not None:
        payload["pullrequest"] = render.pullrequest(r, event.pullrequest, base)
    if event.approval is not None:
        user, when = event.approval
        payload["approval"] = {"date": iso(when), "user": render.user(user, base)}
    payload["actor"] = render.user(event.actor, base)
    payload["repository"] = repository(r, base)
    return payload
