"""A hook Bitbucket would not let go of on disconnect is kept as a pending removal, shown in admin,
and removed by the sweep once Bitbucket lets it (credentials kept until then, then gone)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection as db
from django.utils import timezone
from django.utils.html import escape

from integrations.models import Connection, Repository, Workspace
from webhooks import tasks
from webhooks.models import Hook, HookRemoval

pytestmark = pytest.mark.django_db(transaction=True)

HOOK_DELETE = r"/hooks/"  # DELETE …/hooks/{uuid}; the listing is …/hooks?…


def sandbox_hooks(bitbucket) -> list[dict]:
    return bitbucket.control("GET", "/_sandbox/hooks").json()["hooks"]


def fail_hook_deletion(bitbucket, status: int = 500) -> None:
    made = bitbucket.control("POST", "/_sandbox/faults", json={"path": HOOK_DELETE, "status": status, "times": None})
    assert made.status_code == 201


def make_due() -> None:
    HookRemoval.objects.update(next_try_at=timezone.now() - timedelta(seconds=1))


def raw_tokens() -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM webhooks_hookremoval")
        return cursor.fetchone()


@pytest.mark.parametrize("status", [500, 429])
def test_a_workspace_disconnect_keeps_a_hook_bitbucket_refused_and_the_sweep_removes_it(
        acme, signed_in, bitbucket, admin_client, status):
    hook = Hook.objects.get(workspace=acme)
    assert [h["subject"] for h in sandbox_hooks(bitbucket)] == ["acme"]
    fail_hook_deletion(bitbucket, status)

    signed_in.post(f"/integrations/bitbucket/workspaces/{acme.pk}/disconnect/")

    # Our data went at once; the hook is still on Bitbucket, and what removing it takes is kept.
    assert not Repository.objects.filter(workspace=acme).exists() and not Hook.objects.exists()
    assert Workspace.objects.get(pk=acme.pk).status == Workspace.Status.INACTIVE
    assert len(sandbox_hooks(bitbucket)) == 1
    removal = HookRemoval.objects.get()
    assert (removal.hook_id, removal.bitbucket_uuid, removal.workspace_uuid, removal.repository_uuid) == (
        hook.pk, hook.bitbucket_uuid, acme.uuid, "")
    assert removal.status == HookRemoval.Status.PENDING and removal.attempts == 1
    assert removal.next_try_at > timezone.now() + timedelta(seconds=30)
    listing = admin_client.get("/admin/webhooks/hookremoval/").content.decode()
    assert "acme" in listing and "Pending" in listing and removal.owner and removal.owner in listing
    assert removal.last_error and escape(removal.last_error[:60]) in listing
    detail = admin_client.get(f"/admin/webhooks/hookremoval/{removal.pk}/change/").content.decode()
    assert escape(removal.last_error) in detail and removal.access_token not in detail

    assert tasks.retry_hook_removals() == 0  # not due yet: nothing is asked of Bitbucket
    make_due()
    assert tasks.retry_hook_removals() == 0  # still refused: tried again later, further apart
    removal.refresh_from_db()
    assert removal.attempts == 2 and removal.next_try_at > timezone.now() + timedelta(minutes=4)

    bitbucket.control("DELETE", "/_sandbox/faults")
    make_due()
    assert tasks.retry_hook_removals() == 1
    assert sandbox_hooks(bitbucket) == [] and not HookRemoval.objects.exists()


def test_disconnecting_bitbucket_keeps_the_credentials_only_until_the_hook_is_gone(acme, signed_in, bitbucket):
    connection = Connection.objects.get()
    token = connection.access_token
    fail_hook_deletion(bitbucket)

    signed_in.post("/integrations/bitbucket/disconnect/")

    assert (Connection.objects.count(), Workspace.objects.count(), Repository.objects.count()) == (0, 0, 0)
    assert len(sandbox_hooks(bitbucket)) == 1
    removal = HookRemoval.objects.get()
    assert removal.connection is None and removal.access_token == token and removal.refresh_token
    assert token not in raw_tokens()[0]  # encrypted at rest, like the connection's

    bitbucket.control("DELETE", "/_sandbox/faults")
    make_due()
    assert tasks.retry_hook_removals() == 1
    assert sandbox_hooks(bitbucket) == [] and not HookRemoval.objects.exists()


def test_revoked_credentials_stop_the_retries_and_say_what_is_needed(acme, signed_in, bitbucket, admin_client):
    fail_hook_deletion(bitbucket)
    signed_in.post("/integrations/bitbucket/disconnect/")
    bitbucket.control("DELETE", "/_sandbox/faults")
    assert bitbucket.control("POST", "/_sandbox/users/alice/revoke", json={}).status_code == 200

    make_due()
    assert tasks.retry_hook_removals() == 0
    removal = HookRemoval.objects.get()
    assert removal.status == HookRemoval.Status.NEEDS_RECONNECT and removal.next_try_at is None
    assert raw_tokens() == ("", "")  # of no further use
    assert "Needs the user to reconnect, or removal by hand" in admin_client.get("/admin/webhooks/hookremoval/").content.decode()
    make_due()
    seen = len(bitbucket.requests_seen())
    assert tasks.retry_hook_removals() == 0
    assert len(bitbucket.requests_seen()) == seen  # no loop: Bitbucket is not asked again


def test_a_removal_refused_for_days_is_given_up_with_its_reason(acme, signed_in, bitbucket, settings):
    fail_hook_deletion(bitbucket)
    signed_in.post(f"/integrations/bitbucket/workspaces/{acme.pk}/disconnect/")
    HookRemoval.objects.update(created_at=timezone.now() - timedelta(days=settings.HOOK_REMOVAL_GIVE_UP_DAYS, minutes=1))

    make_due()
    assert tasks.retry_hook_removals() == 0
    removal = HookRemoval.objects.get()
    assert removal.status == HookRemoval.Status.GAVE_UP and removal.next_try_at is None
    assert removal.last_error.startswith("Gave up after 2 attempts:")
    assert raw_tokens() == ("", "")
    assert len(sandbox_hooks(bitbucket)) == 1  # left for a person to remove, and said so


def test_the_retries_are_scheduled_every_minute():
    from pydoc import locate

    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="retry-hook-removals")
    assert (locate(schedule.func), schedule.schedule_type, schedule.minutes) == (tasks.retry_hook_removals, Schedule.MINUTES, 1)
