"""Who may see what: workspace roles, repository visibility, and the 404s Bitbucket gives for both.

Workspace members ("member") read and write every repository of the workspace; owners administer
it. Outsiders see public repositories only.
"""
from __future__ import annotations

from sandbox.model import Repository, User, Workspace
from sandbox.routing import Call
from sandbox.web import HttpError

REPO_NOT_FOUND = ("You may not have access to this repository or it no longer exists in this "
                  "workspace. If you think this repository exists and you have access, make sure "
                  "you are authenticated.")

# The `role` filter of GET /2.0/repositories/{workspace}, by workspace role.
ROLE_FILTER = {"member": {"member", "owner"}, "contributor": {"member", "owner"},
               "admin": {"owner"}, "owner": {"owner"}}


def role(workspace: Workspace, user: User) -> str | None:
    return workspace.members.get(user.nickname)


def can_read(repo: Repository, user: User) -> bool:
    return role(repo.workspace, user) is not None or not repo.is_private


def workspace_or_404(call: Call, key: str) -> Workspace:
    workspace = call.state.workspace(key)
    if workspace is None:
        raise HttpError(404, f"No workspace with identifier '{key}'.")
    return workspace


def member_workspace(call: Call, key: str) -> Workspace:
    """A workspace the caller belongs to (others look like they do not exist)."""
    workspace = call.state.workspace(key)
    if workspace is None or role(workspace, call.principal.user) is None:
        raise HttpError(404, f"No workspace with identifier '{key}'.")
    return workspace


def repository_or_404(call: Call, workspace: str, slug: str) -> Repository:
    repo = call.state.repository(workspace, slug)
    if repo is None or not can_read(repo, call.principal.user):
        raise HttpError(404, REPO_NOT_FOUND)
    return repo
