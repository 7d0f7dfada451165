"""Receiving deliveries safely: verify the signature on the raw body, store once, enqueue."""
from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from webhooks import jobs
from webhooks.models import Delivery, Hook
from webhooks.payloads import PayloadRefused, payload_from_body

log = logging.getLogger("bitbucket.webhook")


def signature_for(secret: str, body: bytes) -> str:
    """The X-Hub-Signature Bitbucket sends: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII text, and a forged header may carry some.
    return bool(header) and hmac.compare_digest(signature_for(secret, body).encode(), header.strip().encode("utf-8", "replace"))


MAX_ATTEMPT = 32767  # the column's range; Bitbucket itself tries three times


def _header_ok(value: str) -> bool:
    return 0 < len(value) <= 64 and value.isprintable()


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
    if not _header_ok(request_uuid) or not _header_ok(event_key):
        raise DeliveryRejected(400, "X-Request-UUID and X-Event-Key are required (at most 64 printable characters).")
    try:
        payload = payload_from_body(body)
    except PayloadRefused as exc:
        raise DeliveryRejected(400, str(exc)) from None
    attempt = headers.get("X-Attempt-Number", "1").strip()
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                request_uuid=request_uuid, hook=hook, event_key=event_key, payload=payload,
                attempt=min(int(attempt), MAX_ATTEMPT) if attempt.isascii() and attempt.isdecimal() and len(attempt) < 9 else 1,
                # Queued below; should that entry be lost, the sweep queues it again after this.
                next_try_at=timezone.now() + timedelta(seconds=settings.WEBHOOK_STALL_SECONDS),
            )
    except IntegrityError:
        log.info("bitbucket.webhook.duplicate", extra={"request": request_uuid})
        return Delivery.objects.get(request_uuid=request_uuid), False
    jobs.delivery_process_later(delivery_id=delivery.pk)
    return delivery, True
