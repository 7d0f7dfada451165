"""What a commit holds and how two commits differ: Bitbucket's diffstat and one file at a commit.

Typed functions over the one client, so every `/2.0/` path of these endpoints lives here (to be
folded into the endpoint table with the others).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import requests

from integrations.bitbucket.client import BitbucketClient
from integrations.bitbucket.errors import BitbucketError

DIFFSTAT_PAGELEN = 500  # Bitbucket's own page size for diffstat: one request for most pushes
STATUSES = frozenset({"added", "removed", "modified", "renamed"})


@dataclass(frozen=True)
class FileChange:
    """One entry of a diffstat: a rename has both paths, an addition no old one, a removal no new one."""

    status: str  # added | removed | modified | renamed
    old_path: str | None
    new_path: str | None


def _repository(workspace: str, repository: str) -> str:
    return f"/2.0/repositories/{quote(workspace, safe='{}')}/{quote(repository, safe='{}')}"


def file_change(entry: object) -> FileChange:
    """A diffstat entry, checked: anything else is Bitbucket answering something we cannot trust."""
    if not isinstance(entry, dict) or entry.get("status") not in STATUSES:
        raise BitbucketError("Bitbucket's diffstat holds an entry of an unknown kind.")

    def side(name: str) -> str | None:
        value = entry.get(name)
        path = value.get("path") if isinstance(value, dict) else None
        return path if isinstance(path, str) and path else None

    change = FileChange(entry["status"], side("old"), side("new"))
    needs = {"added": (False, True), "removed": (True, False), "modified": (True, True), "renamed": (True, True)}
    if (change.old_path is not None, change.new_path is not None) != needs[change.status]:
        raise BitbucketError(f"Bitbucket's diffstat has a {change.status} entry without its paths.")
    return change


def diffstat(client: BitbucketClient, *, workspace: str, repository: str, new: str, old: str) -> Iterator[FileChange]:
    """What changed from commit `old` to commit `new`, page by page as the caller reads on.

    Asks for the plain two-dot diff (`topic=false`): the difference between the two trees, whatever
    the history between them (a force-push included). Without it Bitbucket answers the diff of a
    merge of `new` into `old`, which is not `new`'s tree when `old` is not its ancestor.
    """
    path = f"{_repository(workspace, repository)}/diffstat/{quote(new, safe='')}..{quote(old, safe='')}"
    for entry in client.paginate(path, {"pagelen": DIFFSTAT_PAGELEN, "topic": "false"}):
        yield file_change(entry)


def file_at(client: BitbucketClient, *, workspace: str, repository: str, commit: str, path: str) -> requests.Response:
    """The raw bytes of the file at `path` in `commit`, as a streamed response the caller closes.

    A response that was redirected is a file kept in Git LFS (Bitbucket sends those to its media
    host): `response.history` tells the caller.
    """
    url = f"{_repository(workspace, repository)}/src/{quote(commit, safe='')}/{quote(path, safe='/')}"
    return client.request("GET", url, stream=True)
