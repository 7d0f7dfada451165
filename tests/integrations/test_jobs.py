"""Each integrations job is queued by its helper: the right task, under its name, once the service's
transaction commits (django-q2 runs it in-process here, so the task really ran as well)."""
from __future__ import annotations

import pytest
from django.db import transaction
from django_q.models import Task

from integrations.models import Connection, Repository, Workspace
from integrations.services.connection import connection_disconnect
from integrations.services.deletion import deletions_resume
from integrations.services.repositories import repositories_delete
from integrations.services.workspaces import workspace_disconnect, workspaces_link, workspaces_refresh
from tests.queued import queued_after_commit

pytestmark = pytest.mark.django_db(transaction=True)


def test_refresh_queues_the_workspace_sync(acme):
    connection = acme.connection
    Connection.objects.filter(pk=connection.pk).update(synced_at=None)
    with queued_after_commit("integrations.tasks.sync_workspaces") as jobs:
        assert workspaces_refresh(connection=connection)
    assert jobs == [f"sync-workspaces-{connection.pk}"]
    connection.refresh_from_db()
    assert connection.sync_state == Connection.SyncState.IDLE and connection.synced_at is not None


def test_refresh_of_a_connection_to_reconnect_queues_nothing(acme):
    Connection.objects.update(status=Connection.Status.RECONNECT)
    before = Task.objects.count()
    assert not workspaces_refresh(connection=Connection.objects.get())
    assert Task.objects.count() == before and Connection.objects.get().sync_state == Connection.SyncState.IDLE


def test_linking_queues_the_repository_sync(acme):
    globex = Workspace.objects.get(slug="globex")
    with queued_after_commit("integrations.tasks.sync_repositories") as jobs:
        assert workspaces_link(connection=acme.connection, workspace_ids=[globex.pk]) == 1
    assert jobs == [f"sync-repositories-{globex.pk}"]
    assert Repository.objects.filter(workspace=globex).exists()


def test_disconnecting_a_workspace_queues_its_deletion(acme):
    with queued_after_commit("integrations.tasks.disconnect_workspace") as jobs:
        assert workspace_disconnect(workspace=acme)
    assert jobs == [f"disconnect-workspace-{acme.pk}"]
    acme.refresh_from_db()
    assert acme.status == Workspace.Status.INACTIVE and not Repository.objects.filter(workspace=acme).exists()


def test_disconnecting_bitbucket_queues_the_connections_deletion(acme):
    connection = acme.connection
    with queued_after_commit("integrations.tasks.disconnect_connection") as jobs:
        connection_disconnect(connection=connection)
    assert jobs == [f"disconnect-connection-{connection.pk}"]
    assert not Connection.objects.exists() and not Workspace.objects.exists()


def test_the_sweep_queues_a_stalled_deletion_again(acme):
    Workspace.objects.filter(pk=acme.pk).update(status=Workspace.Status.DISCONNECTING, updated_at="2000-01-01T00:00:00Z")
    with queued_after_commit("integrations.tasks.disconnect_workspace") as jobs:
        assert deletions_resume(stalled_after_s=600) == 1
    assert jobs == [f"disconnect-workspace-{acme.pk}"]
    assert not Repository.objects.filter(workspace=acme).exists()


def test_a_rolled_back_disconnect_queues_nothing_and_deletes_nothing(acme):
    before = Task.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        workspace_disconnect(workspace=acme)
        raise RuntimeError("the request failed after the service ran")
    acme.refresh_from_db()
    assert Task.objects.count() == before
    assert acme.status == Workspace.Status.ACTIVE and Repository.objects.filter(workspace=acme).exists()


def test_deleting_repositories_queues_their_deletion(acme):
    doomed = sorted(Repository.objects.filter(workspace=acme).exclude(slug="api").values_list("pk", flat=True))
    with queued_after_commit("integrations.tasks.delete_repositories") as jobs:
        assert repositories_delete(repository_ids=doomed) == len(doomed)
    assert jobs == [f"delete-repositories-{doomed[0]}"]
    assert list(Repository.objects.filter(workspace=acme).values_list("slug", flat=True)) == ["api"]
