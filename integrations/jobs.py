"""How the integrations app's jobs are queued: one helper per job, each after the commit.

Each helper names its task function, not a dotted string, and gives the job the name it is
found by in Django admin. The task is imported when the helper runs, not with this module:
tasks import the services they run, and those services import these helpers, so importing the
tasks here would close a cycle that breaks whichever of the three Python happens to load first.
Every helper is run by a test, so a renamed task still fails there, long before a worker does.
"""
from __future__ import annotations

from core.jobs import enqueue


def workspaces_sync_later(*, connection_id: int) -> None:
    """Read the connection's workspaces from Bitbucket again."""
    from integrations.tasks import sync_workspaces

    enqueue(sync_workspaces, connection_id, name=f"sync-workspaces-{connection_id}")


def repositories_sync_later(*, workspace_id: int) -> None:
    """Read a linked workspace's repositories from Bitbucket again."""
    from integrations.tasks import sync_repositories

    enqueue(sync_repositories, workspace_id, name=f"sync-repositories-{workspace_id}")


def repositories_delete_later(*, repository_ids: list[int]) -> None:
    """Delete repositories marked Deleting, their layers and their hooks (one batch per job)."""
    from integrations.tasks import delete_repositories

    enqueue(delete_repositories, repository_ids, name=f"delete-repositories-{repository_ids[0]}")


def workspace_disconnect_later(*, workspace_id: int) -> None:
    """Delete the data of a workspace marked Disconnecting."""
    from integrations.tasks import disconnect_workspace

    enqueue(disconnect_workspace, workspace_id, name=f"disconnect-workspace-{workspace_id}")


def connection_disconnect_later(*, connection_id: int) -> None:
    """Delete everything of a connection marked Disconnecting, then the connection."""
    from integrations.tasks import disconnect_connection

    enqueue(disconnect_connection, connection_id, name=f"disconnect-connection-{connection_id}")
