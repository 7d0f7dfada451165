"""django-q2 jobs of the webhooks app: thin doors that take primary keys."""
from __future__ import annotations

from django.utils import timezone

from webhooks.handlers import HANDLERS
from webhooks.models import Delivery
from webhooks.registration import hooks_register, hooks_register_repository


def register_hooks(workspace_id: int) -> None:
    hooks_register(workspace_id=workspace_id)


def register_repository_hook(repository_id: int) -> None:
    hooks_register_repository(repository_id=repository_id)


def process_delivery(delivery_id: int) -> str:
    # Guarded claim: only one worker moves a delivery out of RECEIVED.
    if not Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.RECEIVED).update(status=Delivery.Status.PROCESSED):
        return "already processed"
    delivery = Delivery.objects.select_related("hook").get(pk=delivery_id)
    handler = HANDLERS.get(delivery.event_key)
    if handler is None:
        Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.IGNORED, processed_at=timezone.now())
        return "ignored"
    try:
        outcome = handler(delivery)
    except Exception as exc:
        Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.FAILED, error=str(exc)[:2000], processed_at=timezone.now())
        raise
    status = Delivery.Status.IGNORED if outcome == "ignored" else Delivery.Status.PROCESSED
    Delivery.objects.filter(pk=delivery_id).update(status=status, processed_at=timezone.now())
    return outcome
