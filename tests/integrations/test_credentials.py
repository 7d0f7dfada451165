"""OAuth tokens: refreshed before expiry and after a 401, one refresh at a time per connection."""
from __future__ import annotations

import threading

import pytest
from django.db import connections

from integrations.bitbucket.errors import BitbucketAuthError, BitbucketUnavailable
from integrations.models import Connection
from integrations.services.credentials import client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connected(signed_in, connect_oauth):
    connect_oauth(signed_in)
    return Connection.objects.get()


def test_two_workers_refreshing_at_once_both_succeed(connected, bitbucket):
    bitbucket.control("POST", "/_sandbox/tokens/expire")
    barrier = threading.Barrier(2)
    results: list = []

    def worker():
        try:
            client = client_for(Connection.objects.get(pk=connected.pk))
            barrier.wait(timeout=10)
            results.append(client.get("/2.0/user")["nickname"])
        except Exception as exc:  # recorded, asserted below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == ["alice", "alice"]
    connected.refresh_from_db()
    assert connected.status == Connection.Status.CONNECTED
    refreshes = [r for r in bitbucket.requests_seen() if r["path"] == "/site/oauth2/access_token"]
    assert len(refreshes) == 2  # the code exchange at connect, then exactly one refresh


def test_a_token_about_to_expire_is_refreshed_before_use(connected, bitbucket, settings):
    settings.BITBUCKET_REFRESH_MARGIN = 7200 + 60  # every token counts as about to expire
    version = connected.token_version
    client_for(connected).get("/2.0/user")
    connected.refresh_from_db()
    assert connected.token_version == version + 1
    statuses = [r["status"] for r in bitbucket.requests_seen() if r["path"] == "/2.0/user"]
    assert 401 not in statuses


def test_a_refused_refresh_marks_reconnect_and_keeps_the_tokens(connected, bitbucket):
    bitbucket.control("POST", "/_sandbox/users/alice/revoke")
    with pytest.raises(BitbucketAuthError):
        client_for(connected).get("/2.0/user")
    connected.refresh_from_db()
    assert connected.status == Connection.Status.RECONNECT and "refused" in connected.last_error
    assert connected.refresh_token  # nothing deleted


def test_a_bitbucket_outage_during_refresh_is_not_a_reconnect(connected, bitbucket):
    bitbucket.control("POST", "/_sandbox/tokens/expire")
    bitbucket.control("POST", "/_sandbox/faults", json={"path": "/site/oauth2/access_token", "status": 503, "times": 1})
    with pytest.raises(BitbucketUnavailable):
        client_for(connected).get("/2.0/user")
    connected.refresh_from_db()
    assert connected.status == Connection.Status.CONNECTED
    assert client_for(connected).get("/2.0/user")["nickname"] == "alice"
