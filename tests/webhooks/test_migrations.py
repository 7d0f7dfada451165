"""Deliveries stored before retries existed read sensibly after the migration, and back."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from integrations.models import Connection, Workspace
from webhooks.models import Delivery
from webhooks.processing import deliveries_sweep

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("webhooks", "0002_hook_repository")  # claimed straight into Processed, no tries


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def test_deliveries_before_retries_get_tries_and_waiting_ones_are_due(django_user_model):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("webhooks")[0]
    user = django_user_model.objects.create_user(username="old", email="old@example.com")
    workspace = Workspace.objects.create(connection=Connection.objects.create(user=user), uuid="{w}", slug="w", name="W",
                                         status=Workspace.Status.ACTIVE)
    try:
        apps = _migrate(BEFORE)
        hook = apps.get_model("webhooks", "Hook").objects.create(workspace_id=workspace.pk, secret="s")
        OldDelivery = apps.get_model("webhooks", "Delivery")
        for status in ("received", "processed", "ignored", "failed"):
            OldDelivery.objects.create(request_uuid=status, hook=hook, event_key="repo:fork", payload={}, status=status,
                                       processed_at=None if status == "received" else timezone.now())

        _migrate(latest)
        rows = {d.request_uuid: d for d in Delivery.objects.all()}
        waiting = rows.pop("received")
        assert (waiting.status, waiting.tries, waiting.next_try_at) == (Delivery.Status.RECEIVED, 0, waiting.received_at)
        assert {(key, d.status, d.tries, d.claimed_at == d.received_at, d.next_try_at) for key, d in rows.items()} == {
            ("processed", "processed", 1, True, None), ("ignored", "ignored", 1, True, None), ("failed", "failed", 1, True, None)}
        # The waiting one's queue entry may have gone with the old worker: the first sweep queues it.
        assert deliveries_sweep() == 1
        assert Delivery.objects.get(request_uuid="received").status == Delivery.Status.IGNORED  # repo:fork has no handler

        Delivery.objects.filter(request_uuid="ignored").update(status=Delivery.Status.PROCESSING)
        apps = _migrate(BEFORE)
        assert apps.get_model("webhooks", "Delivery").objects.get(request_uuid="ignored").status == "received"
    finally:
        _migrate(latest)
