"""Registering our hooks on Bitbucket, removing them, and receiving deliveries safely."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django_q.tasks import async_task

from integrations.bitbucket.errors import BitbucketError, BitbucketNotFound
from integrations.models import Connection, Workspace
from integrations.services.deletion import delete_in_chunks
from integrations.services.tokens import client_for
from webhooks.models import Delivery, Hook

log = logging.getLogger("bitbucket.webhook")

EVENTS = [
    "repo:push",
    "pullrequest:created",
    "pullrequest:updated",
    "pullrequest:fulfilled",
    "pullrequest:rejected",
]


def signature_for(secret: str, body: bytes) -> str:
    """The X-Hub-Signature Bitbucket sends: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII text, and a forged header may carry some.
    return bool(header) and hmac.compare_digest(signature_for(secret, body).encode(), header.strip().encode("utf-8", "replace"))


def _hook_url(hook: Hook) -> str:
    return f"{settings.PUBLIC_URL}/webhooks/bitbucket/{hook.pk}/"


def _delete_remote(client, workspace: Workspace, hooks: list[Hook]) -> None:
    """Delete these hooks on Bitbucket, found by uuid and by our URL (404 counts as done).

    Looking them up by URL too catches a hook whose creation answer never reached us.
    """
    base = f"/2.0/workspaces/{workspace.uuid}/hooks"
    ids = {str(hook.pk) for hook in hooks}
    uuids = {hook.bitbucket_uuid for hook in hooks if hook.bitbucket_uuid}
    try:
        uuids |= {remote["uuid"] for remote in client.paginate(base)
                  if any(f"/webhooks/bitbucket/{pk}/" in remote.get("url", "") for pk in ids)}
    except BitbucketError as exc:
        log.warning("bitbucket.webhook.list-failed", extra={"workspace": workspace.pk, "error": exc.message})
    for uuid in uuids:
        try:
            client.delete(f"{base}/{uuid}")
        except BitbucketNotFound:
            pass


def hooks_register(*, workspace_id: int) -> Hook | None:
    """Register one workspace hook (with a secret) where the user administers the workspace.

    Bitbucket only lets workspace admins create workspace hooks; for other workspaces nothing is
    registered here.
    """
    workspace = Workspace.objects.select_related("connection").get(pk=workspace_id)
    if (workspace.status != Workspace.Status.ACTIVE or not workspace.is_admin
            or workspace.connection.status != Connection.Status.CONNECTED):
        return None
    if Hook.objects.filter(workspace=workspace).exists():
        return None
    secret = secrets.token_urlsafe(48)
    hook = Hook.objects.create(workspace=workspace, secret=secret, events=EVENTS)
    client = client_for(workspace.connection)
    try:
        created = client.post(f"/2.0/workspaces/{workspace.uuid}/hooks", {
            "description": "Strata knowledge layers", "url": _hook_url(hook), "active": True,
            "events": EVENTS, "secret": secret,
        })
    except BitbucketError as exc:
        log.warning("bitbucket.webhook.register-failed", extra={"workspace": workspace_id, "error": exc.message})
        try:
            _delete_remote(client, workspace, [hook])  # in case it was created after all
        except BitbucketError:
            pass
        hook.delete()
        return None
    if not Hook.objects.filter(pk=hook.pk).update(bitbucket_uuid=created.get("uuid", "")):
        # The workspace was disconnected meanwhile and our row is gone: take the hook back down.
        _delete_remote(client, workspace, [hook])
        return None
    log.info("bitbucket.webhook.registered", extra={"workspace": workspace_id})
    return hook


def hooks_remove(*, workspace_id: int | None = None, repository_ids: list[int] | None = None) -> None:
    """Remove our hooks of a workspace from Bitbucket (404 counts as done), then our rows."""
    if workspace_id is None:
        return  # only workspace hooks exist; a repository leaving changes nothing here
    hooks = list(Hook.objects.filter(workspace_id=workspace_id).select_related("workspace__connection"))
    if hooks:
        workspace = hooks[0].workspace
        try:
            _delete_remote(client_for(workspace.connection), workspace, hooks)
        except BitbucketError as exc:
            # Our rows go regardless; a hook left on Bitbucket now points at a 404.
            log.warning("bitbucket.webhook.remove-failed", extra={"workspace": workspace_id, "error": exc.message})
    delete_in_chunks(Delivery.objects.filter(hook__workspace_id=workspace_id))
    delete_in_chunks(Hook.objects.filter(workspace_id=workspace_id))


class DeliveryRejected(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def delivery_receive(*, hook_id, body: bytes, headers) -> tuple[Delivery, bool]:
    """Verify, store once (keyed by X-Request-UUID) and enqueue; returns (delivery, is_new)."""
    hook = Hook.objects.filter(pk=hook_id).first()
    if hook is None:
        raise DeliveryRejected(404, "Unknown hook.")
    if not signature_valid(hook.secret, body, headers.get("X-Hub-Signature", "")):
        log.warning("bitbucket.webhook.invalid-signature", extra={"hook": str(hook_id)})
        raise DeliveryRejected(401, "Invalid or missing X-Hub-Signature.")
    request_uuid = headers.get("X-Request-UUID", "").strip()
    event_key = headers.get("X-Event-Key", "").strip()
    if not request_uuid or not event_key:
        raise DeliveryRejected(400, "X-Request-UUID and X-Event-Key are required.")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise DeliveryRejected(400, "The body is not JSON.") from exc
    attempt = headers.get("X-Attempt-Number", "1")
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                request_uuid=request_uuid, hook=hook, event_key=event_key, payload=payload,
                attempt=int(attempt) if attempt.isdigit() else 1,
            )
    except IntegrityError:
        log.info("bitbucket.webhook.duplicate", extra={"request": request_uuid})
        return Delivery.objects.get(request_uuid=request_uuid), False
    transaction.on_commit(lambda: async_task("webhooks.tasks.process_delivery", delivery.pk, task_name=f"delivery-{delivery.pk}"))
    return delivery, True
