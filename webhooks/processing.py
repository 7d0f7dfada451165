"""Handling stored deliveries so that none is lost: claim, handle, retry, sweep, expire.

A worker claims a Received delivery into Processing with a guarded UPDATE (one worker wins),
runs its handler, and marks it Processed or Ignored. A handler that raises is tried again after
each delay of WEBHOOK_RETRY_DELAYS, then the delivery is Failed with the reason (shown in admin).
A worker killed mid-handler leaves its delivery Processing: the sweep, every minute, takes one
Processing for longer than WEBHOOK_STALL_SECONDS for dead and queues it again, as it queues
Received ones whose back-off is over or whose queue entry was lost. Handlers are written to be
run twice (`webhooks.handlers`). Finished deliveries are deleted after WEBHOOK_RETENTION_DAYS.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from integrations.services.deletion import delete_in_chunks
from webhooks import jobs
from webhooks.handlers import HANDLERS
from webhooks.models import Delivery

log = logging.getLogger("bitbucket.webhook")

SWEEP_BATCH = 500  # deliveries looked at per sweep and kind; the next sweep takes the rest
FINISHED = (Delivery.Status.PROCESSED, Delivery.Status.IGNORED, Delivery.Status.FAILED)
STOPPED = "The worker stopped while handling it (killed, restarted or out of time)."


def max_tries() -> int:
    return 1 + len(settings.WEBHOOK_RETRY_DELAYS)


def _stall() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_STALL_SECONDS)


def delivery_process(*, delivery_id: int) -> str:
    """Claim the delivery and run its handler; says in a few words what happened."""
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.RECEIVED).update(
        status=Delivery.Status.PROCESSING, claimed_at=timezone.now(), tries=F("tries") + 1,
    )
    if not claimed:
        return "not waiting: taken by another worker, finished or gone"
    delivery = Delivery.objects.select_related("hook").filter(pk=delivery_id).first()
    if delivery is None:  # deleted with its hook (a disconnect) meanwhile
        return "gone"
    handler = HANDLERS.get(delivery.event_key)
    try:
        status, outcome = handler(delivery) if handler else (Delivery.Status.IGNORED, "no handler for this event")
    except Exception as exc:
        reason = _reason(exc)
        # One line with the innermost frames: a runaway recursion would otherwise log thousands.
        log.warning("bitbucket.webhook.handler-failed", extra={
            "delivery": delivery_id, "try": delivery.tries, "reason": reason, "at": _where(exc)})
        return _after_failure(delivery_id=delivery_id, tries=delivery.tries, reason=reason, now=timezone.now())
    finished = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PROCESSING, tries=delivery.tries).update(
        status=status, outcome=outcome[:200], error="", next_try_at=None, processed_at=timezone.now(),
    )
    if not finished:  # the sweep took this run for dead and another one has it now
        log.warning("bitbucket.webhook.superseded", extra={"delivery": delivery_id})
    return outcome


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or "no message"
    return " ".join(f"{type(exc).__name__}: {message}".split())[:500]


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return " > ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}" for frame in frames)


def _after_failure(*, delivery_id: int, tries: int, reason: str, now: datetime, delay: int | None = None) -> str:
    """Back to Received with a back-off, or Failed after the last try; guarded by the try it was."""
    error = f"Try {tries} of {max_tries()} failed: {reason}"
    if tries >= max_tries():
        values = {"status": Delivery.Status.FAILED, "processed_at": now, "next_try_at": None}
    else:
        wait = settings.WEBHOOK_RETRY_DELAYS[tries - 1] if delay is None else delay
        values = {"status": Delivery.Status.RECEIVED, "next_try_at": now + timedelta(seconds=wait)}
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PROCESSING, tries=tries).update(error=error, **values)
    return f"{values['status']}: {error}"


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """Take Processing deliveries silent past the stall bound for dead, and queue every Received
    one that is due (a back-off over, a queue entry lost); returns how many were queued."""
    now = now or timezone.now()
    stalled = Delivery.objects.filter(status=Delivery.Status.PROCESSING, claimed_at__lt=now - _stall())
    for pk, tries in list(stalled.values_list("pk", "tries")[:SWEEP_BATCH]):
        log.warning("bitbucket.webhook.stalled", extra={"delivery": pk, "try": tries})
        _after_failure(delivery_id=pk, tries=tries, reason=STOPPED, now=now, delay=0)
    due = Delivery.objects.filter(Q(next_try_at__lte=now) | Q(next_try_at__isnull=True), status=Delivery.Status.RECEIVED)
    queued = 0
    for pk in list(due.order_by("next_try_at").values_list("pk", flat=True)[:SWEEP_BATCH]):
        # Due again after the stall bound, should this queue entry be lost too.
        if Delivery.objects.filter(pk=pk, status=Delivery.Status.RECEIVED).update(next_try_at=now + _stall()):
            jobs.delivery_process_later(delivery_id=pk)
            queued += 1
    return queued


def deliveries_process_again(*, delivery_ids: Iterable[int]) -> int:
    """Failed deliveries handled afresh (their cause fixed), with a full set of tries."""
    now = timezone.now()
    queued = 0
    for pk in list(Delivery.objects.filter(pk__in=list(delivery_ids), status=Delivery.Status.FAILED).values_list("pk", flat=True)):
        again = Delivery.objects.filter(pk=pk, status=Delivery.Status.FAILED).update(
            status=Delivery.Status.RECEIVED, tries=0, error="", outcome="", claimed_at=None, processed_at=None,
            next_try_at=now + _stall(),
        )
        if again:
            jobs.delivery_process_later(delivery_id=pk)
            queued += 1
    return queued


def deliveries_purge_expired(*, now: datetime | None = None) -> int:
    """Delete finished deliveries received more than WEBHOOK_RETENTION_DAYS ago, in chunks; ones
    still waiting or being handled stay whatever their age. Returns how many went."""
    days = settings.WEBHOOK_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return delete_in_chunks(Delivery.objects.filter(received_at__lt=cutoff, status__in=FINISHED))
