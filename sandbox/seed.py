"""Reading a seed file (or a control-API body of the same shape) into the sandbox's state."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sandbox import operations
from sandbox.model import (
    ROLES,
    ApiToken,
    Consumer,
    EmailAddress,
    Repository,
    User,
    Workspace,
    braced,
    stable_uuid,
)
from sandbox.sources import SourceError, load
from sandbox.state import State

DEFAULT_SCOPES = "account email repository pullrequest pipeline webhook"
EPOCH = datetime(2024, 1, 8, 9, 0, tzinfo=timezone.utc)
SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class SeedError(ValueError):
    """A seed (or control-API body) that does not describe a valid thing."""


def _date(value: Any, default: datetime) -> datetime:
    if not value:
        return default
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise SeedError(f"not an ISO 8601 date: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _slug(value: Any, what: str) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise SeedError(f"{what} needs a lower-case slug, got {value!r}")
    return value


def load_seed(state: State) -> None:
    """Replace everything with the seed file's content (the caller holds the lock)."""
    state.clear()
    if state.seed_path is None:
        return
    try:
        seed = json.loads(state.seed_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SeedError(f"cannot read seed {state.seed_path}: {exc}") from exc
    seed_dir = state.seed_path.parent
    for spec in seed.get("consumers", []):
        add_consumer(state, spec)
    for spec in seed.get("users", []):
        add_user(state, spec)
    for index, spec in enumerate(seed.get("workspaces", [])):
        add_workspace(state, spec, created_on=EPOCH + timedelta(days=index))
    for index, spec in enumerate(seed.get("repositories", [])):
        add_repository(state, spec, seed_dir, created_on=EPOCH + timedelta(hours=13 * index))


def add_consumer(state: State, spec: dict) -> Consumer:
    if not spec.get("key") or not spec.get("secret"):
        raise SeedError("a consumer needs a key and a secret")
    consumer = Consumer(key=spec["key"], secret=spec["secret"], name=spec.get("name") or spec["key"],
                        description=spec.get("description", ""),
                        callback_url=state.callback_urls.get(spec["key"]) or spec.get("callback_url") or None,
                        scopes=spec.get("scopes") or DEFAULT_SCOPES)
    state.consumers[consumer.key] = consumer
    return consumer


def add_user(state: State, spec: dict) -> User:
    nickname = spec.get("nickname")
    if not nickname or not isinstance(nickname, str):
        raise SeedError("a user needs a nickname")
    if nickname in state.users:
        raise SeedError(f"user {nickname!r} exists already")
    uuid = braced(spec["uuid"]) if spec.get("uuid") else stable_uuid("user", nickname)
    tokens = [ApiToken(t["token"], frozenset(t.get("scopes", []))) for t in spec.get("api_tokens", [])]
    email = spec.get("email") or f"{nickname}@example.com"
    user = User(nickname=nickname, display_name=spec.get("display_name") or nickname.title(),
                email=email, uuid=uuid,
                account_id=spec.get("account_id") or f"557058:{uuid.strip('{}')}",
                created_on=_date(spec.get("created_on"), EPOCH - timedelta(days=400)),
                api_tokens=tokens, emails=_emails(spec.get("emails"), email))
    state.users[nickname] = user
    return user


def _emails(spec: Any, email: str) -> list[EmailAddress]:
    """A user's addresses: by default the account e-mail alone, primary and confirmed."""
    if spec is None:
        return [EmailAddress(email, True, True)]
    if not isinstance(spec, list) or not all(isinstance(e, dict) and isinstance(e.get("email"), str)
                                             and e["email"] for e in spec):
        raise SeedError('a user\'s emails must be a list of {"email", "is_primary", "is_confirmed"}')
    return [EmailAddress(e["email"], bool(e.get("is_primary", False)), bool(e.get("is_confirmed", True)))
            for e in spec]


def add_workspace(state: State, spec: dict, *, created_on: datetime) -> Workspace:
    slug = _slug(spec.get("slug"), "a workspace")
    if state.workspace(slug):
        raise SeedError(f"workspace {slug!r} exists already")
    members = dict(spec.get("members", {}))
    for nickname, role in members.items():
        if nickname not in state.users or role not in ROLES:
            raise SeedError(f"workspace {slug}: member {nickname!r} must be a user with role "
                            f"{' or '.join(ROLES)}")
    workspace = Workspace(slug=slug, name=spec.get("name") or slug,
                          uuid=braced(spec["uuid"]) if spec.get("uuid") else stable_uuid("workspace", slug),
                          created_on=_date(spec.get("created_on"), created_on), members=members,
                          is_private=bool(spec.get("is_private", True)))
    state.workspaces[workspace.uuid] = workspace
    return workspace


def default_actor(state: State, workspace: Workspace) -> User:
    """Who does things nobody is named for: the first owner, else the first member, else anyone."""
    owners_first = sorted(workspace.members, key=lambda nickname: workspace.members[nickname] != "owner")
    if owners_first:
        return state.users[owners_first[0]]
    if not state.users:
        raise SeedError("the seed needs at least one user")
    return next(iter(state.users.values()))


def _user(state: State, nickname: Any, fallback: User) -> User:
    if nickname is None:
        return fallback
    user = state.users.get(nickname)
    if user is None:
        raise SeedError(f"unknown user {nickname!r}")
    return user


def add_repository(state: State, spec: dict, seed_dir: Path, *, created_on: datetime) -> Repository:
    workspace = state.workspace(str(spec.get("workspace", "")))
    if workspace is None:
        raise SeedError(f"repository {spec.get('slug')!r}: unknown workspace {spec.get('workspace')!r}")
    slug = _slug(spec.get("slug"), "a repository")
    if state.repository(workspace.slug, slug):
        raise SeedError(f"repository {workspace.slug}/{slug} exists already")
    created = _date(spec.get("created_on"), created_on)
    project = spec.get("project") or {}
    uuid = braced(spec["uuid"]) if spec.get("uuid") else stable_uuid("repo", f"{workspace.slug}/{slug}")
    repo = Repository(workspace=workspace, slug=slug, name=spec.get("name") or slug, uuid=uuid,
                      is_private=bool(spec.get("is_private", True)), language=spec.get("language", ""),
                      description=spec.get("description", ""), project_key=project.get("key", "PROJ"),
                      project_name=project.get("name", "Default project"),
                      created_on=created, updated_on=created)
    try:
        tree, archive = load(spec.get("source"), seed_dir)
    except SourceError as exc:
        raise SeedError(f"repository {repo.full_name}: {exc}") from exc
    actor = default_actor(state, workspace)
    clock = _Clock(created)
    if tree is not None:
        first = operations.make_commit(repo, tree, [], "Initial commit", actor, clock.tick())
        repo.mainbranch = spec.get("mainbranch") or "main"
        repo.branches[repo.mainbranch] = first.hash
        if archive:
            repo.archive = (first.hash, archive)
    try:
        _add_history(state, repo, spec, actor, clock)
    except operations.OperationError as exc:
        raise SeedError(f"repository {repo.full_name}: {exc}") from exc
    repo.updated_on = _date(spec.get("updated_on"), repo.updated_on if repo.commits else created)
    state.repositories[repo.uuid] = repo
    return repo


class _Clock:
    """Seeded history gets deterministic times (so commit hashes survive a restart)."""

    def __init__(self, start: datetime):
        self.now = start

    def tick(self) -> datetime:
        self.now += timedelta(minutes=7)
        return self.now


def _encode(files: dict) -> dict[str, bytes]:
    return {path: content.encode("utf-8") for path, content in files.items()}


def _add_history(state: State, repo: Repository, spec: dict, actor: User, clock: _Clock) -> None:
    """Seed extensions: extra `branches`, then `pullrequests`, then `pipelines`."""
    for name, change in (spec.get("branches") or {}).items():
        operations.commit(repo, branch=name, writes=_encode(change.get("files", {})),
                          deletes=list(change.get("delete", [])),
                          message=change.get("message") or f"Work on {name}",
                          author=_user(state, change.get("author"), actor), when=clock.tick())
    for pr_spec in spec.get("pullrequests", []):
        source = pr_spec.get("source")
        if source and source not in repo.branches and repo.mainbranch:
            repo.branches[source] = repo.branches[repo.mainbranch]
        author = _user(state, pr_spec.get("author"), actor)
        pr, _ = operations.open_pullrequest(
            repo, title=pr_spec.get("title") or f"Merge {source}", source=source,
            destination=pr_spec.get("destination"), author=author,
            description=pr_spec.get("description", ""),
            reviewers=[_user(state, n, actor) for n in pr_spec.get("reviewers", [])], when=clock.tick())
        state_name = (pr_spec.get("state") or "OPEN").upper()
        closer = _user(state, pr_spec.get("closed_by"), actor)
        if state_name == "MERGED":
            operations.merge(repo, pr, closer, clock.tick())
        elif state_name == "DECLINED":
            operations.decline(repo, pr, closer, clock.tick())
        elif state_name != "OPEN":
            raise SeedError(f"pull request state must be OPEN, MERGED or DECLINED, not {state_name}")
    for run in spec.get("pipelines", []):
        operations.add_pipeline(repo, state=run.get("state", "SUCCESSFUL"),
                                duration_s=int(run.get("duration_s", 60)), branch=run.get("branch"),
                                creator=_user(state, run.get("creator"), actor),
                                finished=clock.tick() + timedelta(seconds=int(run.get("duration_s", 60))))
