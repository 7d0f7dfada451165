"""Keeping a linked workspace's repositories in step with Bitbucket."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.inputs import fit
from integrations.bitbucket import endpoints
from integrations.bitbucket.errors import BitbucketError, BitbucketNotFound
from integrations.jobs import repositories_delete_later
from integrations.models import Connection, Repository, Workspace
from integrations.services.credentials import client_for
from integrations.services.deletion import DELETE_BATCH
from integrations.services.workspaces import ACCESS_LOST

log = logging.getLogger("bitbucket.repositories")

def _fields(data: dict) -> dict:
    """Our columns from Bitbucket's repository object, whatever odd values it holds."""
    mainbranch = data.get("mainbranch")
    size = data.get("size")
    try:
        updated_on = parse_datetime(str(data.get("updated_on") or ""))
    except ValueError:
        updated_on = None
    return fit(Repository, {
        "slug": _text(data.get("slug")) or _text(data.get("name")),
        "name": _text(data.get("name")) or _text(data.get("slug")),
        "full_name": _text(data.get("full_name")),
        "description": _text(data.get("description")),
        "is_private": bool(data.get("is_private", True)),
        "language": _text(data.get("language")),
        "mainbranch": _text(mainbranch.get("name")) if isinstance(mainbranch, dict) else "",
        "size": size if isinstance(size, int) and 0 <= size < 2**63 else None,
        "updated_on": updated_on,
    })


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _confirmed_gone(client, workspace: Workspace, missing: list[Repository]) -> list[int]:
    """Which repositories missing from a listing are really gone: deletion needs proof.

    A member who lost access to the workspace gets an empty listing, not an error, and a
    repository can slip between pages while the listing is read. So the workspace must still be
    ours, and each repository must answer 404 on its own, before anything is deleted.
    """
    try:
        ours = any(
            access.get("workspace", {}).get("uuid") == workspace.uuid
            for access in endpoints.user_workspaces(client)
        )
        if not ours:
            Workspace.objects.filter(pk=workspace.pk, status=Workspace.Status.ACTIVE).update(
                status=Workspace.Status.INACTIVE, accessible=False, inactive_reason=ACCESS_LOST, updated_at=timezone.now()
            )
            return []
        gone = []
        for repo in missing:
            try:
                endpoints.repository(client, workspace.uuid, repo.uuid)
            except BitbucketNotFound:
                gone.append(repo.pk)
        return gone
    except BitbucketError as exc:
        log.warning("bitbucket.repositories.prune-unconfirmed", extra={"workspace": workspace.pk, "error": exc.message})
        return []


def repositories_sync(*, workspace_id: int) -> None:
    """Load every repository of an Active workspace; prune only after a complete listing."""
    workspace = Workspace.objects.select_related("connection").get(pk=workspace_id)
    if workspace.status != Workspace.Status.ACTIVE or workspace.connection.status != Connection.Status.CONNECTED:
        return
    client = client_for(workspace.connection)
    try:
        # Address the workspace by UUID: it survives a rename of the slug.
        listing = list(endpoints.repositories(client, workspace.uuid, role="member"))
    except BitbucketError as exc:
        Workspace.objects.filter(pk=workspace_id).update(
            repositories_error=f"Loading repositories failed; nothing was changed. {exc.message}"
        )
        log.warning("bitbucket.repositories.listing-failed", extra={"workspace": workspace_id})
        return
    try:
        missing = _apply_listing(workspace, listing)
    except Exception:
        Workspace.objects.filter(pk=workspace_id).update(
            repositories_error="Loading repositories failed unexpectedly; nothing was changed."
        )
        raise
    if missing is None:
        return
    gone = _confirmed_gone(client, workspace, missing) if missing else []
    if gone:
        repositories_delete(repository_ids=gone)  # in bounded jobs, however many went
    log.info("bitbucket.repositories.synced", extra={"workspace": workspace_id, "count": len(listing), "removed": len(gone)})


def repository_refresh(*, repository_id: int) -> Repository | None:
    """Read one repository afresh (a push names it) and update its row: its main branch may have
    been renamed, the repository itself too. None when Bitbucket no longer shows it to us (gone,
    or access lost): only a complete listing may prune, so the caller asks for one."""
    repo = Repository.objects.select_related("workspace__connection").get(pk=repository_id)
    client = client_for(repo.workspace.connection)
    try:
        data = endpoints.repository(client, repo.workspace.uuid, repo.uuid)
    except BitbucketNotFound:
        return None
    fields = _fields(data if isinstance(data, dict) else {})
    # An answer without names keeps ours: a repository is always addressed by its UUID anyway.
    changed = {key: value for key, value in fields.items()
               if value != getattr(repo, key) and (value or key not in ("slug", "name", "full_name"))}
    if changed:
        Repository.objects.filter(pk=repo.pk).update(**changed, updated_at=timezone.now())
        for key, value in changed.items():
            setattr(repo, key, value)
    return repo


def _apply_listing(workspace: Workspace, listing: list[dict]) -> list[Repository] | None:
    """Add and update from a complete listing; the repositories it lacks (None: not applied)."""
    workspace_id = workspace.pk
    with transaction.atomic():
        # Re-check under the row lock: a disconnect may have started while we were listing.
        if not Workspace.objects.select_for_update().filter(pk=workspace_id, status=Workspace.Status.ACTIVE).exists():
            return
        known = {repo.uuid: repo for repo in Repository.objects.filter(workspace=workspace)}
        seen = set()
        new = []
        for data in listing:
            uuid = data.get("uuid") if isinstance(data, dict) else None
            if not isinstance(uuid, str) or not uuid or len(uuid) > 64 or uuid in seen:
                continue  # not a repository we could address again
            seen.add(uuid)
            repo = known.get(uuid)
            if repo is None:
                new.append(Repository(workspace=workspace, uuid=uuid, **_fields(data)))
                continue
            changed = {k: v for k, v in _fields(data).items() if getattr(repo, k) != v}
            if changed:
                Repository.objects.filter(pk=repo.pk).update(**changed, updated_at=timezone.now())
        Repository.objects.bulk_create(new, batch_size=500)
        Workspace.objects.filter(pk=workspace_id).update(repositories_synced_at=timezone.now(), repositories_error="")
    return [repo for uuid, repo in known.items() if uuid not in seen]


def repositories_delete(*, repository_ids: Iterable[int]) -> int:
    """Start permanent deletion of these repositories, their layers and their hooks on Bitbucket.

    The rows show Deleting at once (and leave the pages); a job removes the rest in chunks. A
    repository still on Bitbucket comes back, without a layer, at its workspace's next refresh.
    """
    ids = sorted(Repository.objects.filter(pk__in=list(repository_ids)).exclude(status=Repository.Status.DELETING)
                 .values_list("pk", flat=True))
    Repository.objects.filter(pk__in=ids).update(status=Repository.Status.DELETING, updated_at=timezone.now())
    for start in range(0, len(ids), DELETE_BATCH):
        batch = ids[start:start + DELETE_BATCH]
        repositories_delete_later(repository_ids=batch)
    log.info("bitbucket.repositories.deleting", extra={"count": len(ids)})
    return len(ids)
