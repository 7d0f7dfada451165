"""A worker killed while it handles a push loses nothing: the sweep hands the delivery to the next one."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import Repository
from knowledge.models import KnowledgeLayer, Symbol
from tests.fixtures.cluster import Clusters
from tests.webhooks.helpers import create_layer, path_fault, wait_for
from webhooks.models import Delivery
from webhooks.processing import deliveries_sweep

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cluster_killed_mid_handler_loses_no_push(acme, signed_in, bitbucket, broker, request, settings):
    layer = create_layer(signed_in, acme, "api")  # built in this process, before the cluster starts
    assert layer.active_generation == 1
    start_cluster = request.getfixturevalue("start_cluster")  # from here on separate worker processes run the jobs
    cluster = start_cluster()
    # The handler reads the repository afresh: Bitbucket hangs on that, so the worker is mid-handler.
    api = Repository.objects.get(workspace=acme, slug="api")
    bitbucket.control("POST", "/_sandbox/faults", json={"path": path_fault(api), "delay_s": 60, "times": None})
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"acme/survivor.py": "def survived_the_kill():\n    pass\n"},
                            "message": "Push"})
    delivery = wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.PROCESSING).first(),
                        what="a worker taking the delivery")

    Clusters.kill(cluster)
    bitbucket.control("DELETE", "/_sandbox/faults")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.tries) == (Delivery.Status.PROCESSING, 1)  # not marked done: not lost
    assert KnowledgeLayer.objects.get(pk=layer.pk).status == KnowledgeLayer.Status.ACTIVE  # nothing queued yet

    start_cluster()  # a new machine, on the same queue
    # The scheduled sweep, run once the stall bound has passed.
    later = timezone.now() + timedelta(seconds=settings.WEBHOOK_STALL_SECONDS + 1)
    assert deliveries_sweep(now=later) == 1
    wait_for(lambda: Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PROCESSED).exists(),
             what="the delivery being handled again")
    delivery.refresh_from_db()
    assert (delivery.tries, delivery.outcome, delivery.error) == (2, "layer rebuild queued", "")
    wait_for(lambda: KnowledgeLayer.objects.filter(pk=layer.pk, active_generation=2).exists(), what="the rebuild")
    assert Symbol.objects.filter(name="survived_the_kill", generation__layer=layer).exists()
