"""Taking our hooks off Bitbucket, durably: a removal Bitbucket refuses on disconnect is recorded
(`HookRemoval`) before the hook's rows go, and the sweep tries it again with back-off until
Bitbucket answers 204 or 404, gives up after HOOK_REMOVAL_GIVE_UP_DAYS, or stops at once when the
credentials are refused (401/403: only the user's reconnect or a removal by hand can help).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from integrations.bitbucket import endpoints, oauth
from integrations.bitbucket.client import BasicCredentials, BitbucketClient
from integrations.bitbucket.errors import (
    BitbucketAuthError,
    BitbucketError,
    BitbucketNotFound,
    BitbucketPermissionError,
)
from integrations.models import Connection
from integrations.services.credentials import client_for
from webhooks.models import Hook, HookRemoval

log = logging.getLogger("bitbucket.webhook")

SWEEP_BATCH = 100  # removals tried per sweep, so a sweep stays well inside the job time-out
REFUSED = (BitbucketAuthError, BitbucketPermissionError)


def hooks_delete_remote(client, where: tuple[str, str | None], *, ids: set[str], uuids: set[str],
                        strict: bool = False) -> None:
    """Delete these hooks on Bitbucket, found by uuid and by our URL (404 counts as done).

    Looking them up by URL too catches a hook whose creation answer never reached us. With
    `strict`, a listing that fails when no uuid is known raises: nothing could be removed.
    """
    uuids = set(uuids)
    try:
        uuids |= {remote["uuid"] for remote in endpoints.hooks(client, *where)
                  if any(f"/webhooks/bitbucket/{pk}/" in remote.get("url", "") for pk in ids)}
    except BitbucketError as exc:
        if strict and (not uuids or isinstance(exc, REFUSED)):
            raise
        log.warning("bitbucket.webhook.list-failed", extra={"endpoint": where, "error": exc.message})
    for uuid in uuids:
        try:
            endpoints.hook_delete(client, *where, uuid)
        except BitbucketNotFound:
            pass


class RemovalCredentials:
    """The tokens a removal kept after its connection was deleted; a refreshed pair is saved on it."""

    def __init__(self, removal: HookRemoval):
        self.removal = removal

    def headers(self) -> dict[str, str]:
        r = self.removal
        if not r.access_token:
            raise BitbucketAuthError("No credentials are left to remove this hook.")
        if r.auth_method == Connection.AuthMethod.API_TOKEN:
            return BasicCredentials(r.api_email, r.access_token).headers()
        return {"Authorization": f"Bearer {r.access_token}"}

    def needs_refresh(self) -> bool:
        r = self.removal
        return bool(r.auth_method == Connection.AuthMethod.OAUTH and r.expires_at and r.refresh_token
                    and (r.expires_at - timezone.now()).total_seconds() < settings.BITBUCKET_REFRESH_MARGIN)

    def refresh(self) -> bool:
        r = self.removal
        if r.auth_method != Connection.AuthMethod.OAUTH or not r.refresh_token:
            return False
        tokens = oauth.refresh_access_token(r.refresh_token)  # a refusal raises BitbucketAuthError
        r.access_token, r.refresh_token, r.expires_at = tokens.access_token, tokens.refresh_token, tokens.expires_at
        r.save(update_fields=["access_token", "refresh_token", "expires_at", "updated_at"])
        return True


def _keep_tokens(removal: HookRemoval, connection: Connection) -> None:
    removal.auth_method, removal.api_email = connection.auth_method, connection.api_email
    removal.access_token, removal.refresh_token = connection.access_token, connection.refresh_token
    removal.expires_at = connection.expires_at


def _delay(attempts: int) -> timedelta:
    delays = settings.HOOK_REMOVAL_DELAYS
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1])


def hook_removal_record(*, hook: Hook, error: BitbucketError) -> HookRemoval:
    """Remember a hook Bitbucket would not let us remove, before its rows are deleted."""
    workspace, repository = hook.workspace, hook.repository
    connection = workspace.connection
    removal = HookRemoval(
        hook_id=hook.pk, workspace_uuid=workspace.uuid, repository_uuid=repository.uuid if repository else "",
        bitbucket_uuid=hook.bitbucket_uuid, label=repository.full_name if repository else workspace.slug,
        owner=connection.user.email, connection=connection,
    )
    _keep_tokens(removal, connection)
    _note_failure(removal, error, save=False)
    removal.save()
    log.warning("bitbucket.webhook.remove-pending", extra={"hook": str(hook.pk), "error": error.message})
    return removal


def _note_failure(removal: HookRemoval, error: BitbucketError, *, save: bool = True) -> None:
    removal.last_error = error.message[:2000]
    if isinstance(error, REFUSED):
        removal.status, removal.next_try_at = HookRemoval.Status.NEEDS_RECONNECT, None
    elif timezone.now() - (removal.created_at or timezone.now()) >= timedelta(days=settings.HOOK_REMOVAL_GIVE_UP_DAYS):
        removal.status, removal.next_try_at = HookRemoval.Status.GAVE_UP, None
        removal.last_error = f"Gave up after {removal.attempts} attempts: {removal.last_error}"
    else:
        removal.next_try_at = timezone.now() + _delay(removal.attempts)
    if removal.status != HookRemoval.Status.PENDING:
        # It will not be tried again: the tokens it kept have no further use.
        removal.access_token = removal.refresh_token = ""
    if save:
        removal.save()


def connection_keep_removal_tokens(*, connection: Connection) -> int:
    """The connection is being deleted: its removals keep its last tokens (and lose the link)."""
    kept = 0
    for removal in HookRemoval.objects.filter(connection=connection, status=HookRemoval.Status.PENDING):
        _keep_tokens(removal, connection)
        removal.save()
        kept += 1
    return kept


def _client(removal: HookRemoval) -> BitbucketClient:
    if removal.connection is not None:
        return client_for(removal.connection)
    return BitbucketClient(RemovalCredentials(removal))


def hook_removal_try(*, removal: HookRemoval) -> bool:
    """One attempt: True when the hook is gone from Bitbucket (the row and its tokens go too)."""
    where = (removal.workspace_uuid, removal.repository_uuid or None)
    removal.attempts += 1
    try:
        hooks_delete_remote(_client(removal), where, ids={str(removal.hook_id)},
                            uuids={removal.bitbucket_uuid} - {""}, strict=True)
    except BitbucketError as exc:
        _note_failure(removal, exc)
        log.warning("bitbucket.webhook.remove-failed", extra={"hook": str(removal.hook_id), "error": exc.message})
        return False
    removal.delete()
    log.info("bitbucket.webhook.removed-late", extra={"hook": str(removal.hook_id)})
    return True


def hook_removals_retry() -> int:
    """Try the removals that are due; answers how many hooks came off Bitbucket."""
    now = timezone.now()
    due = HookRemoval.objects.filter(Q(status=HookRemoval.Status.PENDING) & Q(next_try_at__lte=now))
    removed = 0
    for removal in due.select_related("connection")[:SWEEP_BATCH]:
        # Claim it first, so a second cluster's sweep running now leaves it alone.
        claim = timezone.now() + _delay(removal.attempts + 1)
        if not HookRemoval.objects.filter(pk=removal.pk, next_try_at=removal.next_try_at).update(next_try_at=claim):
            continue
        try:
            removed += hook_removal_try(removal=removal)
        except Exception:  # one broken removal must not keep the others waiting; its claim delays it
            log.exception("bitbucket.webhook.remove-crashed", extra={"hook": str(removal.hook_id)})
    return removed
