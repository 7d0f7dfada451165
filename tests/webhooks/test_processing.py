"""A delivery is handled exactly as often as needed: retried with back-off, swept when lost, never doubled."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from integrations.models import Repository
from knowledge.models import KnowledgeLayer, Symbol
from tests.webhooks.helpers import create_layer, path_fault, post_delivery, task_ids, task_names_since
from webhooks.models import Delivery, Hook
from webhooks.processing import deliveries_sweep, delivery_process

pytestmark = pytest.mark.django_db(transaction=True)


def push(bitbucket, name: str) -> Delivery:
    """Commit `def name()` to acme/api's main branch; Bitbucket (the sandbox) delivers the push."""
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {f"acme/{name}.py": f"def {name}():\n    pass\n"}, "message": name})
    bitbucket.wait_for_deliveries(lambda seen: any(d["event"] == "repo:push" and d.get("status") in (200, 202) for d in seen))
    return Delivery.objects.get(event_key="repo:push")


def test_a_failing_handler_is_tried_again_after_a_back_off_and_succeeds_once_the_cause_is_gone(acme, signed_in, bitbucket):
    layer = create_layer(signed_in, acme, "api")
    api = Repository.objects.get(workspace=acme, slug="api")
    # Bitbucket answers 500 to every attempt the client makes for the handler's read, then recovers.
    bitbucket.control("POST", "/_sandbox/faults", json={"path": path_fault(api), "status": 500, "times": 5})
    delivery = push(bitbucket, "after_outage")
    assert (delivery.status, delivery.tries) == (Delivery.Status.RECEIVED, 1)
    assert delivery.error.startswith("Try 1 of 4 failed: BitbucketUnavailable: Bitbucket answered 500 to GET")
    assert 60 <= (delivery.next_try_at - delivery.claimed_at).total_seconds() < 90  # the first back-off: a minute

    assert deliveries_sweep(now=delivery.next_try_at - timedelta(seconds=5)) == 0  # still backing off
    assert Delivery.objects.get(pk=delivery.pk).tries == 1
    assert deliveries_sweep(now=delivery.next_try_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.tries, delivery.outcome, delivery.error) == (
        Delivery.Status.PROCESSED, 2, "layer rebuild queued", "")
    layer.refresh_from_db()
    assert layer.active_generation == 2 and Symbol.objects.filter(name="after_outage", generation__layer=layer).exists()


def test_a_handler_that_keeps_failing_ends_failed_with_its_reason_in_admin_and_can_be_processed_again(
        acme, signed_in, bitbucket, admin_client):
    layer = create_layer(signed_in, acme, "api")
    api = Repository.objects.get(workspace=acme, slug="api")
    bitbucket.control("POST", "/_sandbox/faults", json={"path": path_fault(api), "status": 503, "times": None})
    delivery = push(bitbucket, "after_the_fix")
    waits = []
    while delivery.status == Delivery.Status.RECEIVED:
        waits.append(round((delivery.next_try_at - delivery.claimed_at).total_seconds() / 60))
        deliveries_sweep(now=delivery.next_try_at)
        delivery.refresh_from_db()
    assert waits == [1, 5, 30]  # minutes between the tries
    assert (delivery.status, delivery.tries, delivery.next_try_at) == (Delivery.Status.FAILED, 4, None)
    reason = "Try 4 of 4 failed: BitbucketUnavailable: Bitbucket answered 503"
    assert delivery.error.startswith(reason)
    assert deliveries_sweep(now=timezone.now() + timedelta(days=1)) == 0  # a failed one stays failed
    assert reason in admin_client.get("/admin/webhooks/delivery/?status__exact=failed").content.decode()
    assert reason in admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()

    bitbucket.control("DELETE", "/_sandbox/faults")  # the cause is fixed
    answer = admin_client.post("/admin/webhooks/delivery/", {"action": "process_again", "_selected_action": [delivery.pk]},
                               follow=True)
    assert "1 delivery queued again." in answer.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.tries, delivery.error) == (Delivery.Status.PROCESSED, 1, "")
    layer.refresh_from_db()
    assert layer.active_generation == 2 and Symbol.objects.filter(name="after_the_fix", generation__layer=layer).exists()


def test_a_delivery_whose_queue_entry_was_lost_is_queued_again_by_the_sweep(acme, client, monkeypatch, settings):
    hook = Hook.objects.get(workspace=acme)
    monkeypatch.setattr(Conf, "SYNC", False)  # jobs only queued, no worker
    assert post_delivery(client, hook, b'{"repository": {"uuid": "{not-ours}"}}').status_code == 202
    assert OrmQ.objects.count() == 1
    OrmQ.objects.all().delete()  # the broker lost it (a Redis restart, say)
    monkeypatch.setattr(Conf, "SYNC", True)  # from here on jobs run at once

    delivery = Delivery.objects.get()
    assert deliveries_sweep(now=timezone.now()) == 0  # it may just be waiting its turn
    assert deliveries_sweep(now=delivery.received_at + timedelta(seconds=settings.WEBHOOK_STALL_SECONDS + 1)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.tries) == (Delivery.Status.PROCESSED, 1)


def test_a_push_handled_again_after_its_worker_died_queues_no_second_rebuild(acme, signed_in, bitbucket, settings):
    layer = create_layer(signed_in, acme, "api")
    delivery = push(bitbucket, "pushed_once")
    assert (delivery.status, delivery.outcome) == (Delivery.Status.PROCESSED, "layer rebuild queued")
    assert KnowledgeLayer.objects.get(pk=layer.pk).active_generation == 2
    # As a worker killed after the handler had queued the rebuild, before it marked the delivery done.
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.PROCESSING)
    seen = task_ids()
    assert deliveries_sweep(now=timezone.now() + timedelta(seconds=settings.WEBHOOK_STALL_SECONDS + 1)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.tries) == (Delivery.Status.PROCESSED, 2)
    assert delivery.outcome == "a build started after this push arrived, so it holds the push"
    assert task_names_since(seen) == [f"delivery-{delivery.pk}"]  # no build-layer job
    assert KnowledgeLayer.objects.get(pk=layer.pk).active_generation == 2
    assert delivery_process(delivery_id=delivery.pk).startswith("not waiting")  # finished: not run a third time
