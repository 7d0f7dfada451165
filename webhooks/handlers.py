"""What each Bitbucket event does: a table from X-Event-Key to handler. Payloads are triggers."""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django_q.tasks import async_task

from integrations.models import Repository, Workspace
from webhooks.models import Delivery

log = logging.getLogger("bitbucket.webhook")


def on_push(delivery: Delivery) -> str:
    """A push to a repository: re-read the workspace's repositories through the API.

    The payload only says *which* repository; what changed is fetched from Bitbucket, never
    trusted from the payload (it may be truncated or forged upstream of the signature).
    """
    repo_uuid = (delivery.payload.get("repository") or {}).get("uuid")
    workspace = Workspace.objects.filter(pk=delivery.hook.workspace_id, status=Workspace.Status.ACTIVE).first()
    if workspace is None or not repo_uuid:
        return "ignored"
    transaction.on_commit(lambda: async_task("integrations.tasks.sync_repositories", workspace.pk, task_name=f"sync-repositories-{workspace.pk}"))
    known = Repository.objects.filter(workspace=workspace, uuid=repo_uuid).exists()
    return "processed" if known else "processed (new repository)"


# Events without a handler are stored and marked ignored: Bitbucket still gets its 2xx.
HANDLERS: dict[str, Callable[[Delivery], str]] = {
    "repo:push": on_push,
}
