"""Our hooks on Bitbucket: one per workspace we administer, else one per repository with a layer.

Bitbucket lets only workspace admins create workspace hooks (they fire for every repository);
elsewhere each repository that has a knowledge layer gets its own hook. Every hook carries a
random secret, encrypted at rest, and is removed again when its workspace or repository leaves
(404 counts as removed); one Bitbucket would not let go of is tried again later (`removal`).
"""
from __future__ import annotations

import logging
import secrets

from django.conf import settings

from integrations.bitbucket import endpoints
from integrations.bitbucket.errors import BitbucketError
from integrations.models import Connection, Repository, Workspace
from integrations.services.credentials import client_for
from integrations.services.deletion import delete_in_chunks
from webhooks.models import Delivery, Hook
from webhooks.removal import hook_removal_record, hooks_delete_remote

log = logging.getLogger("bitbucket.webhook")

# Only events a handler acts on (webhooks/handlers.py). Pull-request events come with the feature
# that reads them, and with the `pullrequest` scope it needs (integrations/bitbucket/scopes.py).
EVENTS = ["repo:push"]


def _where(workspace: Workspace, repository: Repository | None) -> tuple[str, str | None]:
    """Where the hook lives on Bitbucket: (workspace uuid, repository uuid or None for the workspace's)."""
    return workspace.uuid, repository.uuid if repository is not None else None


def _delete_remote(client, where: tuple[str, str | None], hooks: list[Hook]) -> None:
    hooks_delete_remote(client, where, ids={str(hook.pk) for hook in hooks},
                        uuids={hook.bitbucket_uuid for hook in hooks if hook.bitbucket_uuid})


def _create(workspace: Workspace, repository: Repository | None = None) -> Hook | None:
    secret = secrets.token_urlsafe(48)
    hook = Hook.objects.create(workspace=workspace, repository=repository, secret=secret, events=EVENTS)
    client, where = client_for(workspace.connection), _where(workspace, repository)
    try:
        created = endpoints.hook_create(
            client, *where, description="Strata knowledge layers", url=f"{settings.PUBLIC_URL}/webhooks/bitbucket/{hook.pk}/",
            events=EVENTS, secret=secret,
        )
    except BitbucketError as exc:
        log.warning("bitbucket.webhook.register-failed", extra={"endpoint": where, "error": exc.message})
        try:
            _delete_remote(client, where, [hook])  # in case it was created after all
        except BitbucketError:
            pass
        hook.delete()
        return None
    if not Hook.objects.filter(pk=hook.pk).update(bitbucket_uuid=created.get("uuid", "")):
        # Disconnected meanwhile and our row is gone: take the new hook back down.
        _delete_remote(client, where, [hook])
        return None
    log.info("bitbucket.webhook.registered", extra={"endpoint": where})
    return hook


def _live(workspace: Workspace) -> bool:
    return workspace.status == Workspace.Status.ACTIVE and workspace.connection.status == Connection.Status.CONNECTED


def hooks_register(*, workspace_id: int) -> Hook | None:
    """A workspace hook, where the user administers the workspace and it has none yet."""
    workspace = Workspace.objects.select_related("connection").get(pk=workspace_id)
    if not _live(workspace) or not workspace.is_admin or Hook.objects.filter(workspace=workspace, repository=None).exists():
        return None
    return _create(workspace)


def hooks_register_repository(*, repository_id: int) -> Hook | None:
    """A repository hook, unless a workspace hook already covers the repository."""
    repository = Repository.objects.select_related("workspace__connection").get(pk=repository_id)
    workspace = repository.workspace
    if not _live(workspace) or Hook.objects.filter(workspace=workspace).filter(repository=None).exists():
        return None
    if workspace.is_admin:
        return hooks_register(workspace_id=workspace.pk)
    if Hook.objects.filter(repository=repository).exists():
        return None
    return _create(workspace, repository)


def hooks_remove(*, workspace_id: int | None = None, repository_ids: list[int] | None = None) -> None:
    """Remove our hooks of a workspace, or of some repositories, from Bitbucket, then our rows."""
    if workspace_id is not None:
        hooks = Hook.objects.filter(workspace_id=workspace_id)
    else:
        hooks = Hook.objects.filter(repository_id__in=repository_ids or [])
    hooks = list(hooks.select_related("workspace__connection__user", "repository"))
    if not hooks:
        return
    for hook in hooks:
        try:
            hooks_delete_remote(client_for(hook.workspace.connection), _where(hook.workspace, hook.repository),
                                ids={str(hook.pk)}, uuids={hook.bitbucket_uuid} - {""}, strict=True)
        except BitbucketError as exc:
            # Our rows go regardless; what removing the hook takes is kept, and tried again.
            hook_removal_record(hook=hook, error=exc)
    ids = [hook.pk for hook in hooks]
    delete_in_chunks(Delivery.objects.filter(hook_id__in=ids))
    delete_in_chunks(Hook.objects.filter(pk__in=ids))
