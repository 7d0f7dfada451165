"""The in-memory Bitbucket: users, workspaces, repositories with commits, pull requests, pipelines, hooks."""
from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sandbox.trees import Tree

# Stable identifiers: the product keys everything on UUIDs, so a restart with the same seed must
# give the same UUIDs.
NAMESPACE = uuidlib.UUID("5b3c1a52-8f0e-4d7a-9c61-2f4b7e0d9a13")

ROLES = ("member", "owner")


def stable_uuid(kind: str, name: str) -> str:
    return "{" + str(uuidlib.uuid5(NAMESPACE, f"{kind}:{name}")) + "}"


def new_uuid() -> str:
    return "{" + str(uuidlib.uuid4()) + "}"


def braced(value: str) -> str:
    value = value.strip()
    return value if value.startswith("{") else "{" + value + "}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def iso_seconds(moment: datetime) -> str:
    """Commit dates carry no fractions on Bitbucket ("2018-09-21T14:09:51+00:00")."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class ApiToken:
    token: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class EmailAddress:
    email: str
    is_primary: bool
    is_confirmed: bool


@dataclass
class User:
    nickname: str
    display_name: str
    email: str          # the Atlassian account e-mail: API tokens authenticate with it
    uuid: str
    account_id: str
    created_on: datetime
    api_tokens: list[ApiToken] = field(default_factory=list)
    emails: list[EmailAddress] = field(default_factory=list)    # what /2.0/user/emails lists


@dataclass
class Consumer:
    key: str
    secret: str
    name: str
    description: str
    callback_url: str | None
    scopes: str


@dataclass
class Hook:
    uuid: str
    url: str
    description: str
    active: bool
    events: list[str]
    secret: str | None
    created_at: datetime
    subject: "Workspace | Repository"


@dataclass
class Workspace:
    slug: str
    name: str
    uuid: str
    created_on: datetime
    members: dict[str, str] = field(default_factory=dict)   # nickname -> "member" | "owner"
    hooks: dict[str, Hook] = field(default_factory=dict)
    is_private: bool = True


@dataclass
class Commit:
    hash: str
    parents: list[str]
    message: str
    author: User | None
    author_raw: str
    date: datetime
    tree: Tree


@dataclass
class Activity:
    kind: str            # "update" | "approval"
    user: User
    date: datetime
    state: str
    title: str
    description: str


@dataclass
class PullRequest:
    id: int
    title: str
    description: str
    source: str
    destination: str
    author: User
    created_on: datetime
    updated_on: datetime
    state: str = "OPEN"
    reviewers: list[User] = field(default_factory=list)
    approvals: dict[str, datetime] = field(default_factory=dict)   # nickname -> when
    participants: dict[str, User] = field(default_factory=dict)
    merge_commit: str | None = None
    closed_by: User | None = None
    # Once closed, a pull request remembers the commits it pointed at.
    source_hash: str | None = None
    destination_hash: str | None = None
    activity: list[Activity] = field(default_factory=list)


@dataclass
class Pipeline:
    uuid: str
    build_number: int
    state: str           # SUCCESSFUL, FAILED, ERROR, STOPPED, EXPIRED, IN_PROGRESS, PAUSED, PENDING
    branch: str
    commit: str
    creator: User | None
    created_on: datetime
    duration_s: int


@dataclass
class Repository:
    workspace: Workspace
    slug: str
    name: str
    uuid: str
    is_private: bool
    language: str
    description: str
    project_key: str
    project_name: str
    created_on: datetime
    updated_on: datetime
    mainbranch: str | None = None
    branches: dict[str, str] = field(default_factory=dict)    # name -> head hash
    commits: dict[str, Commit] = field(default_factory=dict)
    # An `archive` seed source: (commit hash, file path) served byte for byte for that commit.
    archive: tuple[str, str] | None = None
    pullrequests: dict[int, PullRequest] = field(default_factory=dict)
    pipelines: list[Pipeline] = field(default_factory=list)
    hooks: dict[str, Hook] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.workspace.slug}/{self.slug}"

    def head(self, branch: str | None = None) -> Commit | None:
        name = branch or self.mainbranch
        target = self.branches.get(name) if name else None
        return self.commits.get(target) if target else None

    def resolve(self, revision: str) -> Commit | None:
        """A commit from a branch name, a full hash or an unambiguous prefix of at least 7."""
        if revision in self.branches:
            return self.commits[self.branches[revision]]
        if revision in self.commits:
            return self.commits[revision]
        if len(revision) >= 7:
            found = [c for h, c in self.commits.items() if h.startswith(revision.lower())]
            if len(found) == 1:
                return found[0]
        return None


@dataclass
class AccessToken:
    token: str
    user: User
    consumer: Consumer
    scopes: str
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    user: User
    consumer: Consumer
    scopes: str
    used: bool = False
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    user: User
    consumer: Consumer
    redirect_uri: str | None
    expires_at: float
    used: bool = False
