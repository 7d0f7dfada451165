"""Keeping a linked workspace's repositories in step with Bitbucket."""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.bitbucket.errors import BitbucketError, BitbucketNotFound
from integrations.models import Connection, Repository, Workspace
from integrations.services.deletion import repositories_purge
from integrations.services.tokens import client_for
from integrations.services.workspaces import ACCESS_LOST

log = logging.getLogger("bitbucket.repositories")


def _fields(data: dict) -> dict:
    return {
        "slug": data.get("slug") or data.get("name", ""),
        "name": data.get("name") or data.get("slug", ""),
        "full_name": data.get("full_name", ""),
        "description": data.get("description") or "",
        "is_private": bool(data.get("is_private", True)),
        "language": data.get("language") or "",
        "mainbranch": (data.get("mainbranch") or {}).get("name", ""),
        "size": data.get("size"),
        "updated_on": parse_datetime(data["updated_on"]) if data.get("updated_on") else None,
    }


def _confirmed_gone(client, workspace: Workspace, missing: list[Repository]) -> list[int]:
    """Which repositories missing from a listing are really gone: deletion needs proof.

    A member who lost access to the workspace gets an empty listing, not an error, and a
    repository can slip between pages while the listing is read. So the workspace must still be
    ours, and each repository must answer 404 on its own, before anything is deleted.
    """
    try:
        ours = any(
            access.get("workspace", {}).get("uuid") == workspace.uuid
            for access in client.paginate("/2.0/user/workspaces")
        )
        if not ours:
            Workspace.objects.filter(pk=workspace.pk, status=Workspace.Status.ACTIVE).update(
                status=Workspace.Status.INACTIVE, accessible=False, inactive_reason=ACCESS_LOST, updated_at=timezone.now()
            )
            return []
        gone = []
        for repo in missing:
            try:
                client.get(f"/2.0/repositories/{workspace.uuid}/{repo.uuid}")
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
        listing = list(client.paginate(f"/2.0/repositories/{workspace.uuid}", {"role": "member"}))
    except BitbucketError as exc:
        Workspace.objects.filter(pk=workspace_id).update(
            repositories_error=f"Loading repositories failed; nothing was changed. {exc.message}"
        )
        log.warning("bitbucket.repositories.listing-failed", extra={"workspace": workspace_id})
        return
    with transaction.atomic():
        # Re-check under the row lock: a disconnect may have started while we were listing.
        if not Workspace.objects.select_for_update().filter(pk=workspace_id, status=Workspace.Status.ACTIVE).exists():
            return
        known = {repo.uuid: repo for repo in Repository.objects.filter(workspace=workspace)}
        seen = set()
        new = []
        for data in listing:
            if data["uuid"] in seen:
                continue
            seen.add(data["uuid"])
            repo = known.get(data["uuid"])
            if repo is None:
                new.append(Repository(workspace=workspace, uuid=data["uuid"], **_fields(data)))
                continue
            changed = {k: v for k, v in _fields(data).items() if getattr(repo, k) != v}
            if changed:
                Repository.objects.filter(pk=repo.pk).update(**changed, updated_at=timezone.now())
        Repository.objects.bulk_create(new, batch_size=500)
        missing = [repo for uuid, repo in known.items() if uuid not in seen]
        Workspace.objects.filter(pk=workspace_id).update(repositories_synced_at=timezone.now(), repositories_error="")
    gone = _confirmed_gone(client, workspace, missing) if missing else []
    if gone:
        repositories_purge(repository_ids=gone)
    log.info("bitbucket.repositories.synced", extra={"workspace": workspace_id, "count": len(seen), "removed": len(gone)})
