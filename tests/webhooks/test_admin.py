"""Django admin for hooks and deliveries: read-only, secrets never shown, hooks never deleted alone."""
from __future__ import annotations

import json

import pytest

from webhooks.models import Delivery, Hook
from webhooks.services import signature_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def delivery(acme, client) -> Delivery:
    hook = Hook.objects.get(workspace=acme)
    body = json.dumps({"repository": {"uuid": "{unknown}"}, "push": {"changes": []}}).encode()
    client.post(f"/webhooks/bitbucket/{hook.pk}/", body, content_type="application/json",
                HTTP_X_EVENT_KEY="repo:push", HTTP_X_HOOK_UUID=hook.bitbucket_uuid, HTTP_X_ATTEMPT_NUMBER="1",
                HTTP_X_REQUEST_UUID="aaaaaaaa-2222-3333-4444-555555555555", HTTP_USER_AGENT="Bitbucket-Webhooks/2.0",
                HTTP_X_HUB_SIGNATURE=signature_for(hook.secret, body))
    return Delivery.objects.get()


def test_hooks_are_read_only_never_show_their_secret_and_are_not_deleted_alone(acme, admin_client, bitbucket):
    hook = Hook.objects.get(workspace=acme)
    listing = admin_client.get("/admin/webhooks/hook/").content.decode()
    assert hook.bitbucket_uuid in listing and "ada@example.com" in listing and hook.secret not in listing
    assert 'href="/admin/webhooks/hook/add/"' not in listing and 'value="delete_selected"' not in listing
    page = admin_client.get(f"/admin/webhooks/hook/{hook.pk}/change/").content.decode()
    assert hook.secret not in page and 'name="_save"' not in page
    assert admin_client.get("/admin/webhooks/hook/add/").status_code == 403
    assert admin_client.post(f"/admin/webhooks/hook/{hook.pk}/change/", {"events": "[]"}).status_code == 403
    assert admin_client.post(f"/admin/webhooks/hook/{hook.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Hook.objects.get().events == hook.events
    assert len(bitbucket.control("GET", "/_sandbox/hooks").json()["hooks"]) == 1


def test_deliveries_are_read_only(delivery, admin_client):
    listing = admin_client.get("/admin/webhooks/delivery/").content.decode()
    assert delivery.request_uuid in listing and 'href="/admin/webhooks/delivery/add/"' not in listing
    page = admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    assert delivery.request_uuid in page and 'name="_save"' not in page and delivery.hook.secret not in page
    assert admin_client.post(f"/admin/webhooks/delivery/{delivery.pk}/change/", {"status": "failed"}).status_code == 403
    assert admin_client.post(f"/admin/webhooks/delivery/{delivery.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Delivery.objects.get().status == delivery.status


def test_a_delivery_s_payload_is_shown_indented_in_a_box_that_wraps(delivery, admin_client):
    Delivery.objects.filter(pk=delivery.pk).update(payload={"push": {"changes": []}, "long": "x" * 400})
    page = admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    box = page.split('<pre class="delivery-payload"')[1].split("</pre>")[0]
    assert "white-space: pre-wrap" in box and "overflow-wrap: anywhere" in box and "overflow: auto" in box
    assert '\n  &quot;push&quot;: {\n    &quot;changes&quot;: []' in box and "x" * 400 in box
