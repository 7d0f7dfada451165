"""Every Bitbucket Cloud endpoint Strata calls: one typed function each, over the one client.

This is the only module that knows Bitbucket's paths (a test fails on a `/2.0` anywhere else in
the product). Each variable part is percent-encoded as one path segment, so a UUID's braces, a
branch named `feature/login` or a file named `a#b.py` address exactly what they name; a file
path keeps its slashes. Address workspaces and repositories by UUID wherever one is at hand: it
survives renames. Listings are iterators that follow `next` to the last page and raise part-way
when a page fails (`BitbucketClient.paginate`), so a caller that collects one knows it is
complete; `first=n` asks for one page of at most n values instead (a probe).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from integrations.bitbucket.client import BitbucketClient
from integrations.bitbucket.errors import BitbucketError

API = "/2.0"
# Paths other code names (the permissions Strata asks for say which endpoints they open).
USER = f"{API}/user"
USER_EMAILS = f"{API}/user/emails"
USER_WORKSPACES = f"{API}/user/workspaces"

PULL_REQUEST_STATES = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
DIFFSTAT_PAGELEN = 500  # Bitbucket's own page size for diffstat: one request for most pushes
CHANGE_PATHS = {  # a diffstat status, and whether its entry has an old and a new path
    "added": (False, True), "removed": (True, False), "modified": (True, True), "renamed": (True, True),
}


def _segment(value: str | int) -> str:
    return quote(str(value), safe="")


def _path(*parts: str | int) -> str:
    """`/2.0/` and the parts, each encoded as one segment."""
    return "/".join([API, *map(_segment, parts)])


def _repo(workspace: str, repo: str, *rest: str | int) -> str:
    return _path("repositories", workspace, repo, *rest)


def _listing(client: BitbucketClient, path: str, params: dict[str, Any] | None = None, *,
             first: int | None = None) -> Iterator[dict]:
    if first is None:
        return client.paginate(path, params)
    values = client.get(path, {**(params or {}), "pagelen": first}).get("values")
    return iter(values if isinstance(values, list) else [])


# -- the signed-in account ----------------------------------------------------------------------
def current_user(client: BitbucketClient) -> dict:
    """The account behind the credentials: uuid, account_id, nickname, display_name."""
    return client.get(USER)


def user_emails(client: BitbucketClient) -> Iterator[dict]:
    """The account's addresses, each with `is_primary` and `is_confirmed`."""
    return _listing(client, USER_EMAILS)


def user_workspaces(client: BitbucketClient, *, first: int | None = None) -> Iterator[dict]:
    """Every workspace the account belongs to, as `{administrator, workspace: {uuid, slug, name}}`."""
    return _listing(client, USER_WORKSPACES, first=first)


def workspace_permission(client: BitbucketClient, workspace: str) -> dict:
    """The account's role in one workspace (`permission`: owner, collaborator or member)."""
    return client.get(_path("user", "workspaces", workspace, "permission"))


# -- repositories -------------------------------------------------------------------------------
def repositories(client: BitbucketClient, workspace: str, *, role: str | None = None,
                 first: int | None = None) -> Iterator[dict]:
    """A workspace's repositories; `role="member"` keeps to those the account may read."""
    return _listing(client, _path("repositories", workspace), {"role": role} if role else None, first=first)


def repository(client: BitbucketClient, workspace: str, repo: str) -> dict:
    """One repository, with `full_name` and `mainbranch` (absent while it is empty)."""
    return client.get(_repo(workspace, repo))


def branch(client: BitbucketClient, workspace: str, repo: str, name: str) -> dict:
    return client.get(_repo(workspace, repo, "refs", "branches", name))


def branch_head(client: BitbucketClient, workspace: str, repo: str, name: str) -> str:
    """The hash of the commit at the tip of the branch."""
    target = branch(client, workspace, repo, name).get("target")
    commit = target.get("hash") if isinstance(target, dict) else None
    if not isinstance(commit, str) or not commit:
        raise BitbucketError(f"Bitbucket did not say which commit the branch {name} points at.")
    return commit


def _src(workspace: str, repo: str, commit: str, path: str) -> str:
    return _repo(workspace, repo, "src", commit) + "/" + quote(path.strip("/"), safe="/")


def src_file(client: BitbucketClient, workspace: str, repo: str, commit: str, path: str) -> bytes:
    """A file's bytes at `commit`."""
    return client.request("GET", _src(workspace, repo, commit, path)).content


def src_file_stream(client: BitbucketClient, workspace: str, repo: str, commit: str, path: str) -> requests.Response:
    """A file's bytes at `commit` as a streamed response (the caller closes it). A redirected
    response is a file kept in Git LFS (Bitbucket sends those to its media host): `history` says so."""
    return client.request("GET", _src(workspace, repo, commit, path), stream=True)


def src_meta(client: BitbucketClient, workspace: str, repo: str, commit: str, path: str) -> dict:
    """What a path is at `commit` (`type` commit_file or commit_directory, `size`…), not its content."""
    return client.get(_src(workspace, repo, commit, path), {"format": "meta"})


def src_directory(client: BitbucketClient, workspace: str, repo: str, commit: str, path: str = "") -> Iterator[dict]:
    """The entries of a directory at `commit` (the root when `path` is empty)."""
    return _listing(client, _src(workspace, repo, commit, path) + ("/" if path.strip("/") else ""))


@dataclass(frozen=True)
class FileChange:
    """One entry of a diffstat: a rename has both paths, an addition no old one, a removal no new one."""

    status: str  # added | removed | modified | renamed
    old_path: str | None
    new_path: str | None


def file_change(entry: object) -> FileChange:
    """A diffstat entry, checked: anything else is Bitbucket answering something we cannot trust."""
    if not isinstance(entry, dict) or entry.get("status") not in CHANGE_PATHS:
        raise BitbucketError("Bitbucket's diffstat holds an entry of an unknown kind.")

    def side(name: str) -> str | None:
        value = entry.get(name)
        path = value.get("path") if isinstance(value, dict) else None
        return path if isinstance(path, str) and path else None

    change = FileChange(entry["status"], side("old"), side("new"))
    if (change.old_path is not None, change.new_path is not None) != CHANGE_PATHS[change.status]:
        raise BitbucketError(f"Bitbucket's diffstat has a {change.status} entry without its paths.")
    return change


def diffstat(client: BitbucketClient, workspace: str, repo: str, new: str, old: str) -> Iterator[FileChange]:
    """What changed from commit `old` to commit `new` (Bitbucket writes the pair newest first), page
    by page as the caller reads on.

    Asks for the plain two-dot diff (`topic=false`): the difference between the two trees, whatever
    the history between them (a force-push included). Without it Bitbucket answers the diff of a
    merge of `new` into `old`, which is not `new`'s tree when `old` is not its ancestor.
    """
    path = _repo(workspace, repo, "diffstat") + f"/{_segment(new)}..{_segment(old)}"
    for entry in _listing(client, path, {"pagelen": DIFFSTAT_PAGELEN, "topic": "false"}):
        yield file_change(entry)


def archive(client: BitbucketClient, workspace: str, repo: str, commit: str) -> requests.Response:
    """The commit's .tar.gz as a streamed response (the caller closes it). A web URL, not the API:
    addressed by slugs (the full name read from `repository` just before), never by UUID."""
    url = f"{client.web_url}/{_segment(workspace)}/{_segment(repo)}/get/{_segment(commit)}.tar.gz"
    return client.request("GET", url, stream=True)


# -- webhooks: a workspace's (repo None; workspace admins only) or a repository's ---------------------
def _hooks(workspace: str, repo: str | None) -> str:
    return _path("workspaces", workspace, "hooks") if repo is None else _repo(workspace, repo, "hooks")


def hooks(client: BitbucketClient, workspace: str, repo: str | None = None) -> Iterator[dict]:
    return _listing(client, _hooks(workspace, repo))


def hook_create(client: BitbucketClient, workspace: str, repo: str | None = None, *, url: str, description: str,
                events: Iterable[str], secret: str, active: bool = True) -> dict:
    """Register a hook; Bitbucket answers with its `uuid` (never the secret)."""
    return client.post(_hooks(workspace, repo), {
        "description": description, "url": url, "active": active, "events": list(events), "secret": secret,
    })


def hook_delete(client: BitbucketClient, workspace: str, repo: str | None, uid: str) -> None:
    client.delete(_hooks(workspace, repo) + "/" + _segment(uid))


# -- activity ------------------------------------------------------------------------------------
def pull_requests(client: BitbucketClient, workspace: str, repo: str, *,
                  states: Iterable[str] = PULL_REQUEST_STATES, query: str | None = None,
                  sort: str | None = None) -> Iterator[dict]:
    """A repository's pull requests in the given states (Bitbucket lists only OPEN ones unless told);
    `query` is BBQL, for example `updated_on > 2026-11-01T00:00:00Z`."""
    params: dict[str, Any] = {"state": list(states)}
    if query:
        params["q"] = query
    if sort:
        params["sort"] = sort
    return _listing(client, _repo(workspace, repo, "pullrequests"), params)


def pull_request(client: BitbucketClient, workspace: str, repo: str, pull_request_id: int) -> dict:
    return client.get(_repo(workspace, repo, "pullrequests", pull_request_id))


def pull_request_activity(client: BitbucketClient, workspace: str, repo: str, pull_request_id: int) -> Iterator[dict]:
    """Comments, updates (state changes) and approvals of one pull request, newest first."""
    return _listing(client, _repo(workspace, repo, "pullrequests", pull_request_id, "activity"))


def pipelines(client: BitbucketClient, workspace: str, repo: str, *, sort: str = "-created_on") -> Iterator[dict]:
    """A repository's pipelines, newest first by default, with `state` and `duration_in_seconds`."""
    return _listing(client, _repo(workspace, repo, "pipelines"), {"sort": sort})
