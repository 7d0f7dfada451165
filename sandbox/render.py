"""JSON shapes of Bitbucket objects, modelled on the real captures in ../shared/bitbucket/rest/.

Every function takes `base`, the scheme://host:port the client used: in the sandbox the web host
(bitbucket.org) and the API host (api.bitbucket.org) are one and the same.
"""
from __future__ import annotations

import mimetypes
from datetime import timedelta
from urllib.parse import quote

from sandbox.model import (
    Commit,
    Hook,
    Pipeline,
    PullRequest,
    Repository,
    User,
    Workspace,
    iso,
    iso_seconds,
    stable_uuid,
)

MERGE_STRATEGIES = ["merge_commit", "squash", "fast_forward"]


def link(href: str) -> dict:
    return {"href": href}


def q(value: str) -> str:
    """Quote a path (branch names and file paths keep their slashes, as Bitbucket's links do)."""
    return quote(value, safe="/")


def user(u: User, base: str) -> dict:
    ref = quote(u.uuid, safe="")
    return {"display_name": u.display_name,
            "links": {"self": link(f"{base}/2.0/users/{ref}"),
                      "avatar": link(f"{base}/account/{u.nickname}/avatar/"),
                      "html": link(f"{base}/{ref}/")},
            "type": "user", "uuid": u.uuid, "account_id": u.account_id, "nickname": u.nickname}


def current_user(u: User, base: str) -> dict:
    return {**user(u, base), "created_on": iso(u.created_on), "account_status": "active",
            "has_2fa_enabled": None, "is_staff": False, "location": None}


def workspace_base(w: Workspace, base: str) -> dict:
    return {"type": "workspace", "uuid": w.uuid, "name": w.name, "slug": w.slug,
            "links": {"avatar": link(f"{base}/workspaces/{w.slug}/avatar/"),
                      "html": link(f"{base}/{w.slug}/"),
                      "self": link(f"{base}/2.0/workspaces/{w.slug}")}}


def workspace(w: Workspace, base: str) -> dict:
    shape = workspace_base(w, base)
    shape["links"].update({"members": link(f"{base}/2.0/workspaces/{w.slug}/members"),
                           "projects": link(f"{base}/2.0/workspaces/{w.slug}/projects"),
                           "repositories": link(f"{base}/2.0/repositories/{w.slug}")})
    return {**shape, "is_private": w.is_private, "created_on": iso(w.created_on),
            "forking_mode": "allow_forks"}


def repo_api(r: Repository, base: str) -> str:
    return f"{base}/2.0/repositories/{r.full_name}"


def repository_mini(r: Repository, base: str) -> dict:
    return {"type": "repository", "full_name": r.full_name,
            "links": {"self": link(repo_api(r, base)), "html": link(f"{base}/{r.full_name}"),
                      "avatar": link(f"{base}/{r.full_name}/avatar/32/")},
            "name": r.name, "uuid": r.uuid}


def owner(w: Workspace, base: str) -> dict:
    return {"display_name": w.name, "type": "team", "uuid": w.uuid, "username": w.slug,
            "links": {"self": link(f"{base}/2.0/workspaces/{w.slug}"),
                      "avatar": link(f"{base}/workspaces/{w.slug}/avatar/"),
                      "html": link(f"{base}/{w.slug}/")}}


def repository(r: Repository, base: str) -> dict:
    api, html, ws, head = repo_api(r, base), f"{base}/{r.full_name}", r.workspace, r.head()
    host = base.split("://", 1)[-1]
    shape = {
        "type": "repository", "full_name": r.full_name, "name": r.name, "slug": r.slug,
        "uuid": r.uuid, "scm": "git", "website": None, "description": r.description,
        "is_private": r.is_private, "language": r.language, "fork_policy": "no_public_forks",
        "has_wiki": False, "has_issues": False, "parent": None, "enforced_signed_commits": None,
        "created_on": iso(r.created_on), "updated_on": iso(r.updated_on),
        "size": sum(blob.size for blob in head.tree.files.values()) if head else 0,
        "links": {
            "self": link(api), "html": link(html), "avatar": link(f"{html}/avatar/32/"),
            "pullrequests": link(f"{api}/pullrequests"), "commits": link(f"{api}/commits"),
            "forks": link(f"{api}/forks"), "watchers": link(f"{api}/watchers"),
            "branches": link(f"{api}/refs/branches"), "tags": link(f"{api}/refs/tags"),
            "downloads": link(f"{api}/downloads"), "source": link(f"{api}/src"),
            "hooks": link(f"{api}/hooks"),
            "clone": [{"name": "https", "href": f"{base}/{r.full_name}.git"},
                      {"name": "ssh", "href": f"git@{host}:{r.full_name}.git"}]},
        "owner": owner(ws, base), "workspace": workspace_base(ws, base),
        "project": {"type": "project", "key": r.project_key, "name": r.project_name,
                    "uuid": stable_uuid("project", f"{ws.uuid}/{r.project_key}"),
                    "links": {"self": link(f"{base}/2.0/workspaces/{ws.slug}/projects/{r.project_key}"),
                              "html": link(f"{base}/{ws.slug}/workspace/projects/{r.project_key}")}},
        "override_settings": {"default_merge_strategy": False, "branching_model": False},
    }
    if r.mainbranch and r.mainbranch in r.branches:
        shape["mainbranch"] = {"type": "branch", "name": r.mainbranch}
    return shape


def commit_mini(r: Repository, hash_: str, base: str) -> dict:
    return {"hash": hash_, "type": "commit",
            "links": {"self": link(f"{repo_api(r, base)}/commit/{hash_}"),
                      "html": link(f"{base}/{r.full_name}/commits/{hash_}")}}


def author(c: Commit, base: str) -> dict:
    shape = {"type": "author", "raw": c.author_raw}
    if c.author is not None:
        shape["user"] = user(c.author, base)
    return shape


def commit(r: Repository, c: Commit, base: str) -> dict:
    api = f"{repo_api(r, base)}"
    return {"type": "commit", "hash": c.hash, "date": iso_seconds(c.date), "message": c.message,
            "author": author(c, base),
            "summary": {"type": "rendered", "raw": c.message, "markup": "markdown",
                        "html": f"<p>{_escape(c.message)}</p>"},
            "parents": [commit_mini(r, p, base) for p in c.parents],
            "repository": repository_mini(r, base),
            "links": {"self": link(f"{api}/commit/{c.hash}"),
                      "html": link(f"{base}/{r.full_name}/commits/{c.hash}"),
                      "diff": link(f"{api}/diff/{c.hash}"), "patch": link(f"{api}/patch/{c.hash}"),
                      "comments": link(f"{api}/commit/{c.hash}/comments"),
                      "approve": link(f"{api}/commit/{c.hash}/approve"),
                      "statuses": link(f"{api}/commit/{c.hash}/statuses")}}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def branch(r: Repository, name: str, base: str) -> dict:
    api = repo_api(r, base)
    return {"type": "branch", "name": name,
            "links": {"commits": link(f"{api}/commits/{q(name)}"),
                      "self": link(f"{api}/refs/branches/{q(name)}"),
                      "html": link(f"{base}/{r.full_name}/branch/{q(name)}")},
            "default_merge_strategy": "merge_commit", "merge_strategies": MERGE_STRATEGIES,
            "target": commit(r, r.commits[r.branches[name]], base)}


def file_entry(r: Repository, c: Commit, path: str, base: str) -> dict:
    src = f"{repo_api(r, base)}/src/{c.hash}/{q(path)}"
    mimetype, _ = mimetypes.guess_type(path)
    return {"type": "commit_file", "path": path, "escaped_path": path, "attributes": [],
            "size": c.tree.files[path].size, "mimetype": mimetype,
            "commit": commit_mini(r, c.hash, base),
            "links": {"self": link(src), "meta": link(f"{src}?format=meta"),
                      "history": link(f"{repo_api(r, base)}/filehistory/{c.hash}/{q(path)}")}}


def directory_entry(r: Repository, c: Commit, path: str, base: str) -> dict:
    src = f"{repo_api(r, base)}/src/{c.hash}/{q(path)}/" if path else f"{repo_api(r, base)}/src/{c.hash}/"
    return {"type": "commit_directory", "path": path, "commit": commit_mini(r, c.hash, base),
            "links": {"self": link(src), "meta": link(f"{src}?format=meta")}}


def diff_side(r: Repository, hash_: str, path: str | None, base: str) -> dict | None:
    if path is None:
        return None
    return {"path": path, "type": "commit_file", "escaped_path": path,
            "links": {"self": link(f"{repo_api(r, base)}/src/{hash_}/{q(path)}")}}


def pr_endpoint(r: Repository, branch_name: str, hash_: str | None, base: str) -> dict:
    return {"branch": {"name": branch_name},
            "commit": commit_mini(r, hash_[:12], base) if hash_ else None,
            "repository": repository_mini(r, base)}


def pullrequest(r: Repository, pr: PullRequest, base: str, *, full: bool = True) -> dict:
    api = f"{repo_api(r, base)}/pullrequests/{pr.id}"
    source_hash = pr.source_hash if pr.state != "OPEN" else r.branches.get(pr.source, pr.source_hash)
    dest_hash = pr.destination_hash if pr.state != "OPEN" else r.branches.get(pr.destination)
    shape = {
        "type": "pullrequest", "id": pr.id, "title": pr.title, "description": pr.description,
        "state": pr.state, "draft": False, "reason": "", "close_source_branch": False,
        "comment_count": 0, "task_count": 0,
        "created_on": iso(pr.created_on), "updated_on": iso(pr.updated_on),
        "author": user(pr.author, base),
        "source": pr_endpoint(r, pr.source, source_hash, base),
        "destination": pr_endpoint(r, pr.destination, dest_hash, base),
        "merge_commit": commit_mini(r, pr.merge_commit[:12], base) if pr.merge_commit else None,
        "closed_by": user(pr.closed_by, base) if pr.closed_by else None,
        "summary": {"type": "rendered", "raw": pr.description, "markup": "markdown",
                    "html": f"<p>{_escape(pr.description)}</p>" if pr.description else ""},
        "links": {name: link(f"{api}/{name}" if name != "self" else api)
                  for name in ("self", "commits", "approve", "diff", "diffstat", "comments",
                               "activity", "merge", "decline", "statuses")},
    }
    shape["links"]["html"] = link(f"{base}/{r.full_name}/pull-requests/{pr.id}")
    if full:
        shape["reviewers"] = [user(u, base) for u in pr.reviewers]
        shape["participants"] = [participant(pr, u, base) for u in pr.participants.values()]
    return shape


def participant(pr: PullRequest, u: User, base: str) -> dict:
    approved_on = pr.approvals.get(u.nickname)
    return {"type": "participant", "user": user(u, base),
            "role": "REVIEWER" if u in pr.reviewers else "PARTICIPANT",
            "approved": approved_on is not None, "state": "approved" if approved_on else None,
            "participated_on": iso(approved_on) if approved_on else None}


PIPELINE_RESULTS = {"SUCCESSFUL", "FAILED", "ERROR", "STOPPED", "EXPIRED"}


def pipeline_state(p: Pipeline) -> dict:
    if p.state in PIPELINE_RESULTS:
        return {"name": "COMPLETED", "type": "pipeline_state_completed",
                "result": {"name": p.state, "type": f"pipeline_state_completed_{p.state.lower()}"}}
    if p.state in ("IN_PROGRESS", "PAUSED"):
        stage = "RUNNING" if p.state == "IN_PROGRESS" else "PAUSED"
        return {"name": "IN_PROGRESS", "type": "pipeline_state_in_progress",
                "stage": {"name": stage, "type": f"pipeline_state_in_progress_{stage.lower()}"}}
    return {"name": "PENDING", "type": "pipeline_state_pending"}


def pipeline(r: Repository, p: Pipeline, base: str) -> dict:
    api = f"{repo_api(r, base)}/pipelines/{quote(p.uuid, safe='')}"
    done = p.state in PIPELINE_RESULTS
    shape = {"type": "pipeline", "uuid": p.uuid, "build_number": p.build_number, "run_number": 1,
             "creator": user(p.creator, base) if p.creator else None,
             "repository": repository_mini(r, base),
             "target": {"type": "pipeline_ref_target", "ref_type": "branch", "ref_name": p.branch,
                        "commit": commit_mini(r, p.commit, base),
                        "selector": {"type": "branches", "pattern": p.branch}},
             "trigger": {"name": "PUSH", "type": "pipeline_trigger_push"},
             "state": pipeline_state(p), "created_on": iso(p.created_on),
             "build_seconds_used": p.duration_s if done else 0,
             "duration_in_seconds": p.duration_s, "expired": p.state == "EXPIRED",
             # The Pipelines service types even its links (the spec requires these `type`s).
             "links": {"type": "pipelines_pipeline_links",
                       "self": {"type": "pipelines_links_section_href", "href": api},
                       "steps": {"type": "pipelines_links_section_href", "href": f"{api}/steps/"}}}
    if done:
        shape["completed_on"] = iso(p.created_on + timedelta(seconds=p.duration_s))
    return shape


def hook(h: Hook, base: str) -> dict:
    if isinstance(h.subject, Repository):
        subject = repository_mini(h.subject, base)
        self_url = f"{repo_api(h.subject, base)}/hooks/{quote(h.uuid, safe='')}"
        subject_type = "repository"
    else:
        subject = workspace_base(h.subject, base)
        self_url = f"{base}/2.0/workspaces/{h.subject.slug}/hooks/{quote(h.uuid, safe='')}"
        subject_type = "workspace"
    return {"type": "webhook_subscription", "uuid": h.uuid, "url": h.url,
            "description": h.description, "active": h.active, "events": list(h.events),
            "subject_type": subject_type, "subject": subject,
            "created_at": h.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "skip_cert_verification": False, "source": None, "read_only": False,
            "history_enabled": False, "secret_set": bool(h.secret),
            "links": {"self": link(self_url)}}
