"""What each Bitbucket event does: a table from X-Event-Key to handler. Payloads are triggers.

A handler returns the delivery's final status and a few words on what it did. It may run more
than once for one delivery (a retry after it raised, a worker killed half-way), so all it does is
safe to repeat: a rebuild is asked for only when no build that started after the push arrived
exists (such a build reads the branch head afresh, so it holds the push already).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from integrations.bitbucket.errors import BitbucketAuthError
from integrations.jobs import repositories_sync_later
from integrations.models import Connection, Repository, Workspace
from integrations.services.repositories import repository_refresh
from knowledge.models import Generation, KnowledgeLayer
from knowledge.services.layers import layer_requeue
from webhooks.models import Delivery

log = logging.getLogger("bitbucket.webhook")

Outcome = tuple[str, str]  # (Delivery.Status, what was done)


def _dict(value) -> dict:
    """A payload part that should be an object, or {} when a sender put something else there."""
    return value if isinstance(value, dict) else {}


def pushed_branches(payload: dict) -> set[str]:
    """Names of the branches a push moved or created (a deletion has `new: null`; tags are not
    branches); parts of the wrong type are skipped."""
    changes = _dict(payload.get("push")).get("changes")
    names = set()
    for change in changes if isinstance(changes, list) else []:
        new = _dict(_dict(change).get("new"))
        name = new.get("name")
        if new.get("type") == "branch" and isinstance(name, str) and name:
            names.add(name)
    return names


def _build_holds_push(layer: KnowledgeLayer, delivery: Delivery) -> bool:
    return Generation.objects.filter(
        layer=layer, created_at__gte=delivery.received_at, status__in=[Generation.Status.BUILDING, Generation.Status.READY]
    ).exists()


def _rebuild_after_reconnect(layer: KnowledgeLayer, mainbranch: str, branches: set[str]) -> Outcome:
    # Bitbucket cannot be asked for now: our row's main branch decides, and the push is kept.
    if mainbranch and mainbranch not in branches:
        return Delivery.Status.PROCESSED, "the main branch did not move"
    KnowledgeLayer.objects.filter(pk=layer.pk).update(rebuild_requested=True)
    return Delivery.Status.PROCESSED, "Bitbucket refuses our connection: rebuild after Reconnect"


def on_push(delivery: Delivery) -> Outcome:
    """A push: rebuild the repository's layer when its main branch moved; a repository we do not
    know yet (just created) makes us load the workspace's repositories again.

    The payload only says *which* repository and branches: the repository (and so its current
    main branch) is read afresh through the API, and the rebuild fetches the content.
    """
    repo_uuid = _dict(delivery.payload.get("repository")).get("uuid")
    workspace = Workspace.objects.linked().filter(pk=delivery.hook.workspace_id).select_related("connection").first()
    if workspace is None:
        return Delivery.Status.IGNORED, "the workspace is not linked"
    if not isinstance(repo_uuid, str) or not repo_uuid:
        return Delivery.Status.IGNORED, "the payload names no repository"
    connected = workspace.connection.status == Connection.Status.CONNECTED
    repo = Repository.objects.filter(workspace=workspace, uuid=repo_uuid).first()
    if repo is None:
        if not connected:
            return Delivery.Status.IGNORED, "an unknown repository, while Bitbucket refuses our connection"
        repositories_sync_later(workspace_id=workspace.pk)
        return Delivery.Status.PROCESSED, "a repository not loaded yet: repositories sync queued"
    if repo.status == Repository.Status.DELETING:
        return Delivery.Status.IGNORED, "the repository is being deleted"
    layer = KnowledgeLayer.objects.filter(repository=repo).first()
    if layer is None:
        return Delivery.Status.IGNORED, "the repository has no knowledge layer"
    branches = pushed_branches(delivery.payload)
    if not connected:
        return _rebuild_after_reconnect(layer, repo.mainbranch, branches)
    try:
        fresh = repository_refresh(repository_id=repo.pk)
    except BitbucketAuthError:
        return _rebuild_after_reconnect(layer, repo.mainbranch, branches)
    if fresh is None:
        # Deleted, or our access went: only a complete listing may prune it.
        repositories_sync_later(workspace_id=workspace.pk)
        return Delivery.Status.PROCESSED, "Bitbucket no longer shows the repository: repositories sync queued"
    if not fresh.mainbranch or fresh.mainbranch not in branches:
        return Delivery.Status.PROCESSED, "the main branch did not move"
    if _build_holds_push(layer, delivery):
        return Delivery.Status.PROCESSED, "a build started after this push arrived, so it holds the push"
    if layer_requeue(layer_id=layer.pk):
        return Delivery.Status.PROCESSED, "layer rebuild queued"
    if KnowledgeLayer.objects.filter(pk=layer.pk, rebuild_requested=True).exists():
        return Delivery.Status.PROCESSED, "layer rebuild asked for after the running build"
    return Delivery.Status.PROCESSED, "a queued build will read the pushed head"


# Events without a handler are stored and marked ignored: Bitbucket still gets its 2xx.
HANDLERS: dict[str, Callable[[Delivery], Outcome]] = {
    "repo:push": on_push,
}
