"""What each Bitbucket event does: a table from X-Event-Key to handler. Payloads are triggers."""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django_q.tasks import async_task

from integrations.models import VISIBLE_CONNECTION, Connection, Repository, Workspace
from knowledge.models import KnowledgeLayer
from knowledge.services.layers import layer_requeue
from webhooks.models import Delivery

log = logging.getLogger("bitbucket.webhook")


def _dict(value) -> dict:
    """A payload part that should be an object, or {} when a sender put something else there."""
    return value if isinstance(value, dict) else {}


def on_push(delivery: Delivery) -> str:
    """A push: refresh the repository list, and rebuild the layer when its main branch moved.

    The payload only says *which* repository and branches; the content is fetched through the
    API by the rebuild, never taken from the payload (at most 5 commits, possibly truncated).
    """
    repo_uuid = _dict(delivery.payload.get("repository")).get("uuid")
    workspace = Workspace.objects.filter(
        pk=delivery.hook.workspace_id, status=Workspace.Status.ACTIVE, connection__status__in=VISIBLE_CONNECTION
    ).select_related("connection").first()
    if workspace is None or not isinstance(repo_uuid, str) or not repo_uuid:
        return "ignored"
    connected = workspace.connection.status == Connection.Status.CONNECTED
    if connected:
        transaction.on_commit(lambda: async_task("integrations.tasks.sync_repositories", workspace.pk,
                                                 task_name=f"sync-repositories-{workspace.pk}"))
    repo = Repository.objects.filter(workspace=workspace, uuid=repo_uuid).first()
    if repo is None:
        return "processed (new repository)" if connected else "ignored"
    changes = _dict(delivery.payload.get("push")).get("changes")
    changed = {
        _dict(_dict(change).get("new")).get("name")
        for change in (changes if isinstance(changes, list) else [])
        if _dict(_dict(change).get("new")).get("type") == "branch"
    }
    layer = KnowledgeLayer.objects.filter(repository=repo).first()
    # An empty mainbranch (first push to an empty repository) or a renamed one: rebuild anyway,
    # the build reads the main branch afresh.
    if layer is None or not (not repo.mainbranch or repo.mainbranch in changed):
        return "processed"
    if not connected:
        # Bitbucket refuses our token for now: remember the push; Reconnect builds it.
        KnowledgeLayer.objects.filter(pk=layer.pk).update(rebuild_requested=True)
        return "processed (rebuild after Reconnect)"
    layer_requeue(layer_id=layer.pk)
    return "processed (layer rebuild queued)"


# Events without a handler are stored and marked ignored: Bitbucket still gets its 2xx.
HANDLERS: dict[str, Callable[[Delivery], str]] = {
    "repo:push": on_push,
}
