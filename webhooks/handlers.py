"""What each Bitbucket event does: a table from X-Event-Key to handler. Payloads are triggers."""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django_q.tasks import async_task

from integrations.models import Connection, Repository, Workspace
from knowledge.models import KnowledgeLayer
from knowledge.services.layers import layer_requeue
from webhooks.models import Delivery

log = logging.getLogger("bitbucket.webhook")


def on_push(delivery: Delivery) -> str:
    """A push: refresh the repository list, and rebuild the layer when its main branch moved.

    The payload only says *which* repository and branches; the content is fetched through the
    API by the rebuild, never taken from the payload (at most 5 commits, possibly truncated).
    """
    repo_uuid = (delivery.payload.get("repository") or {}).get("uuid")
    workspace = Workspace.objects.filter(
        pk=delivery.hook.workspace_id, status=Workspace.Status.ACTIVE, connection__status=Connection.Status.CONNECTED
    ).first()
    if workspace is None or not repo_uuid:
        return "ignored"
    transaction.on_commit(lambda: async_task("integrations.tasks.sync_repositories", workspace.pk, task_name=f"sync-repositories-{workspace.pk}"))
    repo = Repository.objects.filter(workspace=workspace, uuid=repo_uuid).first()
    if repo is None:
        return "processed (new repository)"
    changed = {
        (change.get("new") or {}).get("name")
        for change in (delivery.payload.get("push") or {}).get("changes", [])
        if (change.get("new") or {}).get("type") == "branch"
    }
    layer = KnowledgeLayer.objects.filter(repository=repo).first()
    # An empty mainbranch (first push to an empty repository) or a renamed one: rebuild anyway,
    # the build reads the main branch afresh.
    if layer is not None and (not repo.mainbranch or repo.mainbranch in changed):
        layer_requeue(layer_id=layer.pk)
        return "processed (layer rebuild queued)"
    return "processed"


# Events without a handler are stored and marked ignored: Bitbucket still gets its 2xx.
HANDLERS: dict[str, Callable[[Delivery], str]] = {
    "repo:push": on_push,
}
