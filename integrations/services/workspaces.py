"""Keeping a connection's workspaces in step with Bitbucket, and linking or unlinking them."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.inputs import fit
from integrations.bitbucket import endpoints
from integrations.bitbucket.errors import BitbucketAuthError, BitbucketError, BitbucketPermissionError
from integrations.jobs import repositories_sync_later, workspace_disconnect_later, workspaces_sync_later
from integrations.models import Connection, Workspace
from integrations.services.credentials import client_for, connection_mark_reconnect
from integrations.signals import workspace_linked

log = logging.getLogger("bitbucket.workspaces")

ACCESS_LOST = "Access lost: Bitbucket no longer lists this workspace for your account."


def enqueue_repository_sync(workspace_id: int) -> None:
    # Marked now, in the caller's transaction: Link Workspace shows the listing as loading (and
    # keeps polling) from the moment it is asked for until the job ends (integrations.tasks).
    Workspace.objects.filter(pk=workspace_id).update(repositories_loading_since=timezone.now())
    repositories_sync_later(workspace_id=workspace_id)


def workspaces_refresh(*, connection: Connection) -> bool:
    """Read the connection's workspaces again (Refresh on Link Workspace, and on connecting): the
    page shows Refreshing, and keeps polling, from now until the job has applied the listing, not
    only once a worker starts it. Only a Connected connection is asked."""
    if connection.status != Connection.Status.CONNECTED:
        return False
    Connection.objects.filter(pk=connection.pk).update(
        sync_state=Connection.SyncState.RUNNING, sync_error="", updated_at=timezone.now())
    workspaces_sync_later(connection_id=connection.pk)
    return True


def workspaces_sync(*, connection_id: int) -> None:
    """Fetch every accessible workspace and apply the complete listing, or change nothing.

    New workspaces are added, renames followed (keyed on UUID), and workspaces missing from a
    complete listing are marked Inactive with the reason. A listing that fails part-way leaves
    every row as it was and records why.
    """
    connection = Connection.objects.get(pk=connection_id)
    if connection.status != Connection.Status.CONNECTED:
        # Whoever set "Refreshing" must not leave the page waiting for a job that will not run.
        Connection.objects.filter(pk=connection_id, sync_state=Connection.SyncState.RUNNING).update(sync_state=Connection.SyncState.IDLE)
        return
    Connection.objects.filter(pk=connection_id).update(sync_state=Connection.SyncState.RUNNING, sync_error="")
    try:
        listing = list(endpoints.user_workspaces(client_for(connection)))
    except BitbucketError as exc:
        if isinstance(exc, (BitbucketAuthError, BitbucketPermissionError)):
            # 401/403 mean "reconnect", never "you have no workspaces".
            connection_mark_reconnect(connection_id=connection_id, reason=exc.message)
            reason = "Bitbucket no longer accepts this connection: reconnect it. Nothing was changed."
        else:
            reason = f"Refreshing workspaces failed; nothing was changed. {exc.message}"
        Connection.objects.filter(pk=connection_id).update(sync_state=Connection.SyncState.FAILED, sync_error=reason)
        log.warning("bitbucket.workspaces.listing-failed", extra={"connection": connection_id})
        return
    except Exception:
        Connection.objects.filter(pk=connection_id).update(
            sync_state=Connection.SyncState.FAILED, sync_error="Refreshing workspaces failed unexpectedly; nothing was changed."
        )
        raise
    try:
        _apply_listing(connection, listing)
    except Exception:
        Connection.objects.filter(pk=connection_id).update(
            sync_state=Connection.SyncState.FAILED, sync_error="Refreshing workspaces failed unexpectedly; nothing was changed."
        )
        raise


def _apply_listing(connection: Connection, listing: list[dict]) -> None:
    now = timezone.now()
    with transaction.atomic():
        known = {ws.uuid: ws for ws in Workspace.objects.select_for_update().filter(connection=connection)}
        seen: set[str] = set()
        for access in listing:
            data = access.get("workspace", access) if isinstance(access, dict) else None
            uuid = data.get("uuid") if isinstance(data, dict) else None
            if not isinstance(uuid, str) or not uuid or len(uuid) > 64:
                continue  # not a workspace we could address again
            seen.add(uuid)
            workspace = known.get(uuid) or Workspace(connection=connection, uuid=uuid)
            fields = fit(Workspace, {"slug": data.get("slug"), "name": data.get("name")})
            workspace.slug = fields["slug"] if isinstance(fields["slug"], str) and fields["slug"] else workspace.slug
            workspace.name = fields["name"] if isinstance(fields["name"], str) and fields["name"] else workspace.slug
            workspace.is_admin = bool(access.get("administrator", False))
            if not workspace.accessible:
                workspace.accessible = True
                workspace.inactive_reason = ""
            workspace.save()
        for uuid, workspace in known.items():
            if uuid in seen or not workspace.accessible:
                continue
            workspace.accessible = False
            workspace.inactive_reason = ACCESS_LOST
            if workspace.status == Workspace.Status.ACTIVE:
                workspace.status = Workspace.Status.INACTIVE
            workspace.save(update_fields=["accessible", "inactive_reason", "status", "updated_at"])
        first_sync = connection.synced_at is None
        Connection.objects.filter(pk=connection.pk).update(sync_state=Connection.SyncState.IDLE, sync_error="", synced_at=now)
        accessible = Workspace.objects.filter(connection=connection, accessible=True)
        if first_sync and len(seen) == 1 and not accessible.exclude(linked_at=None).exists():
            workspaces_link(connection=connection, workspace_ids=[accessible.get().pk])
        for workspace_id in accessible.filter(status=Workspace.Status.ACTIVE).values_list("pk", flat=True):
            enqueue_repository_sync(workspace_id)


def workspaces_link(*, connection: Connection, workspace_ids: Iterable[int]) -> int:
    """Make the chosen accessible workspaces Active and load their repositories."""
    if connection.status != Connection.Status.CONNECTED:
        return 0
    ids = list(
        Workspace.objects.filter(connection=connection, pk__in=list(workspace_ids), accessible=True)
        .exclude(status=Workspace.Status.DISCONNECTING)
        .values_list("pk", flat=True)
    )
    newly = list(Workspace.objects.filter(pk__in=ids).exclude(status=Workspace.Status.ACTIVE).values_list("pk", flat=True))
    Workspace.objects.filter(pk__in=newly).update(status=Workspace.Status.ACTIVE, linked_at=timezone.now(), inactive_reason="")
    for workspace_id in ids:
        enqueue_repository_sync(workspace_id)
    for workspace_id in newly:
        transaction.on_commit(lambda pk=workspace_id: workspace_linked.send(sender=Workspace, workspace_id=pk))
    return len(ids)


def workspace_disconnect(*, workspace: Workspace) -> bool:
    """Start permanent deletion of the workspace's data; the page can answer at once."""
    updated = Workspace.objects.filter(pk=workspace.pk).exclude(status=Workspace.Status.DISCONNECTING).update(
        status=Workspace.Status.DISCONNECTING, updated_at=timezone.now()
    )
    if updated:
        workspace_disconnect_later(workspace_id=workspace.pk)
    return bool(updated)
