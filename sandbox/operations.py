"""Changes to repositories (commits, branches, pull requests, pipelines) and the events they fire.

The seed loader and the control API share these, so seeded history looks like history made live.
Callers hold the state lock.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox.model import (
    Activity,
    Commit,
    Pipeline,
    PullRequest,
    Repository,
    User,
    iso_seconds,
    stable_uuid,
)
from sandbox.trees import Tree, diff

PIPELINE_STATES = ("SUCCESSFUL", "FAILED", "ERROR", "STOPPED", "EXPIRED", "IN_PROGRESS", "PAUSED",
                   "PENDING")


class OperationError(ValueError):
    """A change that cannot be made (unknown branch, closed pull request…): the caller's mistake."""


@dataclass
class PushChange:
    branch: str
    old: str | None          # None when the branch was created
    new: str | None          # None when the branch was deleted
    commits: list[str] = field(default_factory=list)    # newest first, at most 6 (5 shown)
    forced: bool = False     # the old head is not an ancestor of the new one (history rewritten)


@dataclass
class Event:
    key: str                 # X-Event-Key
    repository: Repository
    actor: User
    change: PushChange | None = None
    pullrequest: PullRequest | None = None
    approval: tuple[User, datetime] | None = None


def author_raw(user: User | None) -> str:
    return f"{user.display_name} <{user.email}>" if user else "Sandbox <sandbox@localhost>"


def make_commit(repo: Repository, tree: Tree, parents: list[str], message: str,
                author: User | None, when: datetime) -> Commit:
    raw = author_raw(author)
    text = "".join([f"tree {tree.digest}\n", *(f"parent {p}\n" for p in parents),
                    f"author {raw} {iso_seconds(when)}\n\n{message}"])
    # surrogatepass: a message may carry a lone surrogate from a JSON escape; it still hashes.
    commit = Commit(hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest(), list(parents), message, author,
                    raw, when.replace(microsecond=0), tree)
    repo.commits[commit.hash] = commit
    return commit


def ancestors(repo: Repository, start: str | None) -> list[str]:
    """Hashes reachable from `start`, breadth first (the start included)."""
    seen: list[str] = []
    queue = [start] if start else []
    known: set[str] = set()
    while queue:
        current = queue.pop(0)
        if current in known or current not in repo.commits:
            continue
        known.add(current)
        seen.append(current)
        queue.extend(repo.commits[current].parents)
    return seen


def commits_between(repo: Repository, new: str, old: str | None, limit: int = 6) -> list[str]:
    excluded = set(ancestors(repo, old))
    return [h for h in ancestors(repo, new) if h not in excluded][:limit]


def merge_base(repo: Repository, one: str, other: str) -> str | None:
    """The nearest commit both reach (breadth first from `one`), as `git merge-base` picks one."""
    reachable = set(ancestors(repo, other))
    return next((h for h in ancestors(repo, one) if h in reachable), None)


def commit(repo: Repository, *, branch: str | None, writes: dict[str, bytes], deletes: list[str],
           message: str, author: User, when: datetime, renames: dict[str, str] | None = None,
           parent: str | None = None) -> tuple[Commit, list[Event]]:
    """A new commit on `branch` (created from the main branch when new); fires repo:push.

    With `parent`, the commit goes on top of that commit instead of the branch head and the branch
    is moved to it: a forced push when the old head is not an ancestor. `renames` moves files
    (old path -> new path) with their content, before `writes` and `deletes` apply.
    """
    branch = branch or repo.mainbranch or "main"
    old = repo.branches.get(branch)
    if parent is not None:
        found = repo.resolve(parent)
        if found is None:
            raise OperationError(f"no commit {parent!r}")
        parent = found.hash
    else:
        parent = old or (repo.branches.get(repo.mainbranch) if repo.mainbranch else None)
    base = repo.commits[parent].tree if parent else Tree.inline({})
    renames = renames or {}
    missing = [p for p in [*deletes, *renames] if p not in base.files]
    if missing:
        raise OperationError(f"cannot delete or rename files that do not exist: {', '.join(missing)}")
    moved = {new_path: base.files[old_path].read() for old_path, new_path in renames.items()}
    tree = base.changed(moved, list(renames)).changed(writes, deletes) if renames else base.changed(writes, deletes)
    new = make_commit(repo, tree, [parent] if parent else [], message, author, when)
    repo.branches[branch] = new.hash
    if repo.mainbranch is None:
        repo.mainbranch = branch         # the first push to an empty repository sets its main branch
    repo.updated_on = when
    forced = old is not None and old not in ancestors(repo, new.hash)
    events = [Event("repo:push", repo, author, change=PushChange(
        branch, old, new.hash, commits_between(repo, new.hash, old if old else parent), forced))]
    for pr in repo.pullrequests.values():
        if pr.state == "OPEN" and pr.source == branch:
            pr.updated_on = when
            events.append(Event("pullrequest:updated", repo, author, pullrequest=pr))
    return new, events


def delete_branch(repo: Repository, branch: str, actor: User) -> list[Event]:
    if branch not in repo.branches:
        raise OperationError(f"no branch {branch!r}")
    if branch == repo.mainbranch:
        raise OperationError("the main branch cannot be deleted")
    old = repo.branches.pop(branch)
    return [Event("repo:push", repo, actor, change=PushChange(branch, old, None))]


def open_pullrequest(repo: Repository, *, title: str, source: str, destination: str | None,
                     author: User, description: str, reviewers: list[User],
                     when: datetime) -> tuple[PullRequest, list[Event]]:
    destination = destination or repo.mainbranch
    for name in (source, destination):
        if not name or name not in repo.branches:
            raise OperationError(f"no branch {name!r} in {repo.full_name}")
    pr = PullRequest(id=max(repo.pullrequests, default=0) + 1, title=title, description=description,
                     source=source, destination=destination, author=author, created_on=when,
                     updated_on=when, reviewers=list(reviewers))
    pr.participants = {u.nickname: u for u in reviewers}
    pr.activity.append(Activity("update", author, when, "OPEN", title, description))
    repo.pullrequests[pr.id] = pr
    return pr, [Event("pullrequest:created", repo, author, pullrequest=pr)]


def _require_open(pr: PullRequest) -> None:
    if pr.state != "OPEN":
        raise OperationError(f"pull request #{pr.id} is {pr.state}")


def update_pullrequest(repo: Repository, pr: PullRequest, *, title: str | None,
                       description: str | None, destination: str | None, actor: User,
                       when: datetime) -> list[Event]:
    _require_open(pr)
    if destination is not None and destination not in repo.branches:
        raise OperationError(f"no branch {destination!r} in {repo.full_name}")
    pr.title = title if title is not None else pr.title
    pr.description = description if description is not None else pr.description
    pr.destination = destination or pr.destination
    pr.updated_on = when
    pr.activity.append(Activity("update", actor, when, pr.state, pr.title, pr.description))
    return [Event("pullrequest:updated", repo, actor, pullrequest=pr)]


def approve(repo: Repository, pr: PullRequest, user: User, when: datetime) -> list[Event]:
    _require_open(pr)
    pr.approvals[user.nickname] = when
    pr.participants.setdefault(user.nickname, user)
    pr.updated_on = when
    pr.activity.append(Activity("approval", user, when, pr.state, pr.title, pr.description))
    return [Event("pullrequest:approved", repo, user, pullrequest=pr, approval=(user, when))]


def _close(repo: Repository, pr: PullRequest, state: str, user: User, when: datetime) -> None:
    pr.source_hash = repo.branches.get(pr.source)
    pr.destination_hash = repo.branches.get(pr.destination)
    pr.state, pr.closed_by, pr.updated_on = state, user, when
    pr.activity.append(Activity("update", user, when, state, pr.title, pr.description))


def merged_tree(repo: Repository, source: str, destination: str) -> Tree:
    """Destination plus what the source changed since their merge base (the source wins)."""
    dest_tree, source_tree = repo.commits[destination].tree, repo.commits[source].tree
    base_hash = merge_base(repo, source, destination)
    if base_hash == destination:
        return source_tree
    base_tree = repo.commits[base_hash].tree if base_hash else None
    writes: dict[str, bytes] = {}
    deletes: list[str] = []
    for change in diff(base_tree, source_tree):
        if change.old_path and change.status in ("removed", "renamed") and change.old_path in dest_tree.files:
            deletes.append(change.old_path)
        if change.new_path:
            writes[change.new_path] = source_tree.files[change.new_path].read()
    return dest_tree.changed(writes, deletes)


def merge(repo: Repository, pr: PullRequest, user: User, when: datetime) -> list[Event]:
    """Merge commit on the destination; fires pullrequest:fulfilled, then repo:push as Bitbucket does."""
    _require_open(pr)
    source, destination = repo.branches.get(pr.source), repo.branches.get(pr.destination)
    if not source or not destination:
        raise OperationError("the source or destination branch no longer exists")
    _close(repo, pr, "MERGED", user, when)
    merged = make_commit(repo, merged_tree(repo, source, destination), [destination, source],
                         f"Merged in {pr.source} (pull request #{pr.id})\n\n{pr.title}", user, when)
    repo.branches[pr.destination] = merged.hash
    repo.updated_on = when
    pr.merge_commit = merged.hash
    return [Event("pullrequest:fulfilled", repo, user, pullrequest=pr),
            Event("repo:push", repo, user, change=PushChange(
                pr.destination, destination, merged.hash,
                commits_between(repo, merged.hash, destination)))]


def decline(repo: Repository, pr: PullRequest, user: User, when: datetime) -> list[Event]:
    _require_open(pr)
    _close(repo, pr, "DECLINED", user, when)
    return [Event("pullrequest:rejected", repo, user, pullrequest=pr)]


def add_pipeline(repo: Repository, *, state: str, duration_s: int, branch: str | None,
                 creator: User | None, finished: datetime) -> Pipeline:
    """A pipeline run on the branch head; a finished one started `duration_s` before `finished`."""
    state = (state or "SUCCESSFUL").upper()
    if state not in PIPELINE_STATES:
        raise OperationError(f"state must be one of {', '.join(PIPELINE_STATES)}")
    branch = branch or repo.mainbranch
    head = repo.branches.get(branch) if branch else None
    if head is None:
        raise OperationError(f"no branch {branch!r} in {repo.full_name}")
    number = len(repo.pipelines) + 1
    pipeline = Pipeline(uuid=stable_uuid("pipeline", f"{repo.uuid}#{number}"), build_number=number,
                        state=state, branch=branch, commit=head, creator=creator,
                        created_on=finished - timedelta(seconds=duration_s), duration_s=duration_s)
    repo.pipelines.append(pipeline)
    return pipeline
