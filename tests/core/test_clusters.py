"""Two worker clusters on one queue (ORM and Redis brokers), as on two worker machines: every
refresh, build, delivery and disconnect runs exactly once."""
from __future__ import annotations

import time

import pytest

from integrations.models import Repository, Workspace
from knowledge.models import Generation, KnowledgeLayer
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE_S = 120


def wait_until(condition, what: str):
    """Poll the database until `condition()` holds; the clusters work in other processes."""
    deadline = time.monotonic() + DEADLINE_S
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"not done within {DEADLINE_S}s: {what}")
        time.sleep(0.2)
    return result


@pytest.fixture(autouse=True)
def public_url(live_server, settings):
    """Hooks registered on link (alice owns acme) point at this test server."""
    settings.PUBLIC_URL = live_server.url


def seen(bitbucket, method: str, fragment: str, since: int) -> int:
    return sum(r["method"] == method and fragment in r["path"] for r in bitbucket.requests_seen(since))


def test_two_clusters_run_each_refresh_build_delivery_and_disconnect_once(acme, signed_in, bitbucket, start_cluster, broker):
    start_cluster()
    start_cluster()
    repos = list(Repository.objects.filter(workspace=acme).exclude(slug="empty"))
    assert len(repos) >= 3
    mark = max((r["seq"] for r in bitbucket.requests_seen()), default=0)

    signed_in.post("/knowledge/layers/create/", {"repository": [r.pk for r in repos]})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    wait_until(lambda: KnowledgeLayer.objects.filter(status=KnowledgeLayer.Status.ACTIVE).count() == len(repos),
               "every layer Active")
    wait_until(lambda: seen(bitbucket, "GET", "/2.0/user/workspaces", mark), "the refresh listed the workspaces")
    # A build run twice would have left a second generation (numbers are never reused) and read
    # the archive twice; a refresh run twice would have listed the workspaces twice.
    assert sorted(Generation.objects.values_list("number", flat=True)) == [1] * len(repos)
    assert seen(bitbucket, "GET", ".tar.gz", mark) == len(repos)
    assert seen(bitbucket, "GET", "/2.0/user/workspaces", mark) == 1

    # A push on Bitbucket: delivered to us, processed by one of the clusters, rebuilding one layer.
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"NEW.md": "pushed"}, "message": "Push"})
    api = KnowledgeLayer.objects.get(repository__slug="api", repository__workspace=acme)
    wait_until(lambda: KnowledgeLayer.objects.filter(pk=api.pk, active_generation=2, status=KnowledgeLayer.Status.ACTIVE).exists(),
               "the pushed layer rebuilt")
    assert Delivery.objects.get(event_key="repo:push").status == Delivery.Status.PROCESSED
    assert Generation.objects.filter(layer=api).order_by("-number").first().number == 2
    # Built once, incrementally: one diffstat and the pushed file, the archive read only by the first build.
    assert seen(bitbucket, "GET", "/diffstat/", mark) == 1 and seen(bitbucket, "GET", "/acme/api/get/", mark) == 1

    hooks = seen(bitbucket, "DELETE", "/hooks/", mark)
    signed_in.post(f"/integrations/bitbucket/workspaces/{acme.pk}/disconnect/")
    wait_until(lambda: Workspace.objects.filter(pk=acme.pk, status=Workspace.Status.INACTIVE).exists(), "the workspace disconnected")
    assert not KnowledgeLayer.objects.exists() and not Generation.objects.exists()
    assert seen(bitbucket, "DELETE", "/hooks/", mark) == hooks + 1  # our one workspace hook, removed once
