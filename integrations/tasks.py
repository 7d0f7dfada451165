"""django-q2 jobs of the integrations app: thin doors that take primary keys."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from integrations.jobs import connection_disconnect_later, repositories_delete_later, workspace_disconnect_later
from integrations.models import Connection, Repository, Workspace
from integrations.services import deletion
from integrations.services.repositories import DELETE_BATCH, repositories_sync
from integrations.services.workspaces import workspaces_sync


def sync_workspaces(connection_id: int) -> None:
    if Connection.objects.filter(pk=connection_id).exists():
        workspaces_sync(connection_id=connection_id)


def sync_repositories(workspace_id: int) -> None:
    try:
        if Workspace.objects.filter(pk=workspace_id).exists():
            repositories_sync(workspace_id=workspace_id)
    finally:
        # However the listing ended, it is no longer loading (see enqueue_repository_sync).
        Workspace.objects.filter(pk=workspace_id).update(repositories_loading_since=None)


def disconnect_workspace(workspace_id: int) -> int:
    if not Workspace.objects.filter(pk=workspace_id, status=Workspace.Status.DISCONNECTING).exists():
        return 0
    return deletion.workspace_purge(workspace_id=workspace_id)


def disconnect_connection(connection_id: int) -> int:
    if not Connection.objects.filter(pk=connection_id, status=Connection.Status.DISCONNECTING).exists():
        return 0
    return deletion.connection_purge(connection_id=connection_id)


def delete_repositories(repository_ids: list[int]) -> int:
    ids = list(Repository.objects.filter(pk__in=repository_ids, status=Repository.Status.DELETING).values_list("pk", flat=True))
    return deletion.repositories_purge(repository_ids=ids) if ids else 0


def resume_disconnections(stalled_after_s: int = 600) -> int:
    """Re-enqueue deletions whose worker died: they pick up where the last chunk ended."""
    cutoff = timezone.now() - timedelta(seconds=stalled_after_s)
    resumed = 0
    for pk in Connection.objects.filter(status=Connection.Status.DISCONNECTING, updated_at__lt=cutoff).values_list("pk", flat=True):
        connection_disconnect_later(connection_id=pk)
        resumed += 1
    stalled = Workspace.objects.filter(status=Workspace.Status.DISCONNECTING, updated_at__lt=cutoff).exclude(
        connection__status=Connection.Status.DISCONNECTING
    )
    for pk in stalled.values_list("pk", flat=True):
        workspace_disconnect_later(workspace_id=pk)
        resumed += 1
    deleting = Repository.objects.filter(status=Repository.Status.DELETING, updated_at__lt=cutoff).exclude(
        workspace__status=Workspace.Status.DISCONNECTING
    )
    ids = sorted(deleting.values_list("pk", flat=True))
    for start in range(0, len(ids), DELETE_BATCH):
        batch = ids[start:start + DELETE_BATCH]
        repositories_delete_later(repository_ids=batch)
        resumed += 1
    # Touch them so the next sweep waits for this attempt before trying again.
    Repository.objects.filter(pk__in=ids).update(updated_at=timezone.now())
    Workspace.objects.filter(status=Workspace.Status.DISCONNECTING, updated_at__lt=cutoff).update(updated_at=timezone.now())
    Connection.objects.filter(status=Connection.Status.DISCONNECTING, updated_at__lt=cutoff).update(updated_at=timezone.now())
    return resumed
