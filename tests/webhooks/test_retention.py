"""Stored deliveries are kept for WEBHOOK_RETENTION_DAYS, then deleted by a scheduled job in chunks."""
from __future__ import annotations

from datetime import timedelta
from pydoc import locate

import pytest
from django.utils import timezone
from django_q.models import Schedule

from tests.webhooks.helpers import post_delivery
from webhooks import tasks
from webhooks.models import Delivery, Hook

pytestmark = pytest.mark.django_db(transaction=True)

S = Delivery.Status


def test_the_sweep_and_the_purge_are_scheduled():
    sweep, purge = Schedule.objects.get(name="sweep-webhook-deliveries"), Schedule.objects.get(name="purge-old-webhook-deliveries")
    assert (locate(sweep.func), sweep.schedule_type, sweep.minutes) == (tasks.sweep_deliveries, Schedule.MINUTES, 1)
    assert (locate(purge.func), purge.schedule_type) == (tasks.purge_old_deliveries, Schedule.HOURLY)


def _deliveries(client, hook: Hook, ages_and_statuses: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """Deliveries received `age` days ago, now in `status`: {(age, status): id}."""
    made = {}
    for age, status in ages_and_statuses:
        answer = post_delivery(client, hook, b'{"repository": {}}', event="repo:fork")
        pk = answer.json()["delivery"]
        Delivery.objects.filter(pk=pk).update(status=status, received_at=timezone.now() - timedelta(days=age, minutes=1))
        made[(age, status)] = pk
    return made


def test_finished_deliveries_past_the_retention_period_are_deleted_in_chunks_and_waiting_ones_kept(acme, client, settings):
    settings.DELETION_CHUNK_SIZE = 2
    made = _deliveries(client, Hook.objects.get(workspace=acme), [
        (31, S.PROCESSED), (45, S.IGNORED), (400, S.FAILED), (31, S.IGNORED), (60, S.PROCESSED),  # expired
        (90, S.RECEIVED), (90, S.PROCESSING),  # still to be handled: never deleted
        (29, S.PROCESSED), (0, S.FAILED),  # within the 30 days
    ])
    assert tasks.purge_old_deliveries() == 5
    kept = set(Delivery.objects.values_list("pk", flat=True))
    assert kept == {made[key] for key in [(90, S.RECEIVED), (90, S.PROCESSING), (29, S.PROCESSED), (0, S.FAILED)]}
    assert tasks.purge_old_deliveries() == 0


def test_a_retention_of_zero_days_keeps_every_delivery(acme, client, settings):
    settings.WEBHOOK_RETENTION_DAYS = 0
    _deliveries(client, Hook.objects.get(workspace=acme), [(400, S.PROCESSED), (2, S.IGNORED)])
    assert tasks.purge_old_deliveries() == 0 and Delivery.objects.count() == 2
