"""django-q2 jobs of the integrations app: thin doors that take primary keys."""
from __future__ import annotations

from django.conf import settings

from integrations.models import Connection, Repository, Workspace
from integrations.services import deletion
from integrations.services.repositories import repositories_sync
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
    return deletion.workspace_disconnect_step(workspace_id=workspace_id)


def disconnect_connection(connection_id: int) -> int:
    if not Connection.objects.filter(pk=connection_id, status=Connection.Status.DISCONNECTING).exists():
        return 0
    return deletion.connection_disconnect_step(connection_id=connection_id)


def delete_repositories(repository_ids: list[int]) -> int:
    ids = list(Repository.objects.filter(pk__in=repository_ids, status=Repository.Status.DELETING).values_list("pk", flat=True))
    return deletion.repositories_delete_step(repository_ids=ids) if ids else 0


def resume_disconnections(stalled_after_s: int | None = None) -> int:
    """Scheduled every minute: deletions silent for DELETION_STALL_SECONDS (worker died) carry on."""
    return deletion.deletions_resume(stalled_after_s=stalled_after_s or settings.DELETION_STALL_SECONDS)
