"""Our hooks on Bitbucket: registered with a secret, verified on receipt, removed on disconnect."""
from __future__ import annotations

import json
import uuid
from urllib.parse import unquote

import pytest
import requests

from integrations.models import Connection, Repository, Workspace
from knowledge.models import KnowledgeLayer, Symbol
from tests.support import shared_path
from tests.webhooks.helpers import create_layer, post_delivery, task_ids, task_names_since
from webhooks.models import Delivery, Hook
from webhooks.services import signature_for, signature_valid

pytestmark = pytest.mark.django_db(transaction=True)


def test_our_signature_check_accepts_bitbucket_s_real_signed_delivery():
    body = shared_path("bitbucket", "webhooks", "signed_payload.json").read_bytes()
    real = "sha256=f205c729821c6954aff2afe72b965c34015b4baf96ea8ddc2cc44999c014a035"
    assert signature_valid("Gkvl$k$wyNpQAF42", body, real)
    assert not signature_valid("another-secret", body, real)
    assert not signature_valid("Gkvl$k$wyNpQAF42", body + b" ", real)


def sandbox_hooks(bitbucket) -> list[dict]:
    return bitbucket.control("GET", "/_sandbox/hooks").json()["hooks"]


def test_linking_an_administered_workspace_registers_one_hook_with_a_secret(acme, bitbucket, live_server):
    hook = Hook.objects.get(workspace=acme)
    (remote,) = sandbox_hooks(bitbucket)
    assert remote["uuid"] == hook.bitbucket_uuid and remote["secret_set"] is True
    assert remote["url"] == f"{live_server.url}/webhooks/bitbucket/{hook.pk}/"
    assert "repo:push" in remote["events"]


def test_a_push_on_bitbucket_is_delivered_verified_stored_and_handled(acme, bitbucket):
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits", json={"branch": "main", "files": {"NEW.md": "hi"}, "message": "Add"})
    done = bitbucket.wait_for_deliveries(lambda seen: any(d.get("status") in (200, 202) for d in seen))
    assert any(d["event"] == "repo:push" for d in done)
    delivery = Delivery.objects.get(event_key="repo:push")
    assert (delivery.status, delivery.outcome, delivery.tries) == (Delivery.Status.IGNORED, "the repository has no knowledge layer", 1)
    assert delivery.payload["repository"]["full_name"] == "acme/api"


def test_a_forged_delivery_is_refused_and_stores_nothing(acme, client):
    hook = Hook.objects.get(workspace=acme)
    body = shared_path("bitbucket", "webhooks", "push-updatePayload.json").read_bytes()
    forged = post_delivery(client, hook, body, request_uuid=str(uuid.uuid4()), signature=signature_for("guess", body))
    unsigned = post_delivery(client, hook, body, request_uuid=str(uuid.uuid4()), signature="")
    assert (forged.status_code, unsigned.status_code) == (401, 401)
    unknown = client.post(f"/webhooks/bitbucket/{uuid.uuid4()}/", data=body, content_type="application/json")
    assert unknown.status_code == 404
    assert Delivery.objects.count() == 0


def test_a_repeated_delivery_is_answered_200_and_processed_once(acme, client):
    hook = Hook.objects.get(workspace=acme)
    body = shared_path("bitbucket", "webhooks", "push-updatePayload.json").read_bytes()
    request_uuid = str(uuid.uuid4())
    first = post_delivery(client, hook, body, request_uuid=request_uuid)
    again = post_delivery(client, hook, body, request_uuid=request_uuid)
    assert first.status_code == 202 and again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Delivery.objects.filter(request_uuid=request_uuid).count() == 1


def test_signed_bodies_that_are_not_a_json_object_are_refused_with_400_and_store_nothing(acme, client):
    hook = Hook.objects.get(workspace=acme)
    bodies = [b"null", b"[]", b'"x"', b"NaN", b'{"a": Infinity}', b"[" * 100_000, b"{not json", b"\xff\xfe"]
    for body in bodies:
        answer = post_delivery(client, hook, body, request_uuid=str(uuid.uuid4()))
        assert answer.status_code == 400 and "error" in answer.json(), body[:20]
    for request_uuid, event in [("u" * 65, "repo:push"), (str(uuid.uuid4()), "e" * 65), (str(uuid.uuid4()), "")]:
        answer = post_delivery(client, hook, b"{}", request_uuid=request_uuid, event=event)
        assert answer.status_code == 400
    assert Delivery.objects.count() == 0


def test_a_push_whose_text_holds_nul_or_lone_surrogates_is_stored_cleaned_and_processed(acme, signed_in, client, bitbucket):
    hook = Hook.objects.get(workspace=acme)
    repo = Repository.objects.get(workspace=acme, slug="api")
    signed_in.post("/knowledge/layers/create/", {"repository": [repo.pk]})
    payload = json.loads(shared_path("bitbucket", "webhooks", "push-updatePayload.json").read_text())
    payload["repository"]["uuid"] = repo.uuid
    for change in payload["push"]["changes"]:
        change["new"]["name"] = repo.mainbranch
        for commit in change.get("commits", []):
            commit["message"] = "fix\u0000 weird \ud800"
    body = json.dumps(payload).encode()  # NUL and the lone surrogate go out as \u escapes, as Bitbucket sends them
    request_uuid = str(uuid.uuid4())
    answer = post_delivery(client, hook, body, request_uuid=request_uuid, attempt="99999")
    assert answer.status_code == 202
    delivery = Delivery.objects.get(request_uuid=request_uuid)
    assert delivery.status == Delivery.Status.PROCESSED and delivery.attempt == 32767
    assert "\x00" not in json.dumps(delivery.payload)
    # The push was handled: a build read the head again, found it served already, and built nothing.
    assert len([r for r in bitbucket.requests_seen() if r["path"].endswith("/refs/branches/main")]) == 2
    assert KnowledgeLayer.objects.get().active_generation == 1


def test_a_push_payload_with_parts_of_the_wrong_shape_is_ignored_not_crashed_on(acme, client):
    hook = Hook.objects.get(workspace=acme)
    for payload in ({"repository": []}, {"repository": {"uuid": 5}}, {"repository": {"uuid": "{x}"}, "push": {"changes": ["x", None]}}):
        answer = post_delivery(client, hook, json.dumps(payload).encode(), request_uuid=str(uuid.uuid4()))
        assert answer.status_code == 202
    assert set(Delivery.objects.values_list("status", flat=True)) <= {Delivery.Status.IGNORED, Delivery.Status.PROCESSED}


def test_an_unsupported_event_is_accepted_and_ignored(acme, client):
    hook = Hook.objects.get(workspace=acme)
    body = json.dumps({"repository": {"uuid": "{x}"}}).encode()
    answer = post_delivery(client, hook, body, request_uuid=str(uuid.uuid4()), event="repo:fork")
    assert answer.status_code == 202
    assert Delivery.objects.get().status == Delivery.Status.IGNORED


def test_disconnecting_removes_our_hook_from_bitbucket(acme, signed_in, bitbucket):
    assert len(sandbox_hooks(bitbucket)) == 1
    signed_in.post(f"/integrations/bitbucket/workspaces/{acme.pk}/disconnect/")
    assert sandbox_hooks(bitbucket) == [] and Hook.objects.count() == 0


def test_a_hook_already_gone_on_bitbucket_counts_as_removed(acme, signed_in, bitbucket):
    hook = Hook.objects.get(workspace=acme)
    connection = Connection.objects.get()
    gone = requests.delete(f"{bitbucket.url}/2.0/workspaces/acme/hooks/{hook.bitbucket_uuid}",
                           headers={"Authorization": f"Bearer {connection.access_token}"}, timeout=10)
    assert gone.status_code == 204
    signed_in.post("/integrations/bitbucket/disconnect/")
    assert Hook.objects.count() == 0 and Connection.objects.count() == 0
    assert any(unquote(r["path"]).endswith(hook.bitbucket_uuid) and r["status"] == 404 for r in bitbucket.requests_seen())


def test_a_push_to_the_main_branch_rebuilds_the_layer(acme, signed_in, bitbucket):
    signed_in.post("/knowledge/layers/create/", {"repository": [Repository.objects.get(workspace=acme, slug="api").pk]})
    layer = KnowledgeLayer.objects.get()
    assert layer.active_generation == 1
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"acme/pushed.py": "def after_push():\n    pass\n"}, "message": "Push"})
    bitbucket.wait_for_deliveries(lambda seen: any(d["event"] == "repo:push" and d.get("status") in (200, 202) for d in seen))
    layer.refresh_from_db()
    assert layer.active_generation == 2 and layer.status == KnowledgeLayer.Status.ACTIVE
    assert Symbol.objects.filter(name="after_push", generation__layer=layer).exists()


def test_a_push_while_bitbucket_refuses_us_is_built_after_reconnect(acme, signed_in, bitbucket, connect_oauth):
    signed_in.post("/knowledge/layers/create/", {"repository": [Repository.objects.get(workspace=acme, slug="api").pk]})
    layer = KnowledgeLayer.objects.get()
    bitbucket.control("POST", "/_sandbox/users/alice/revoke")
    bitbucket.control("POST", "/_sandbox/tokens/expire")
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    assert Connection.objects.get().status == Connection.Status.RECONNECT

    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"acme/late.py": "def while_refused():\n    pass\n"}, "message": "Push"})
    bitbucket.wait_for_deliveries(lambda seen: any(d["event"] == "repo:push" and d.get("status") in (200, 202) for d in seen))
    layer.refresh_from_db()
    assert layer.active_generation == 1 and layer.rebuild_requested  # kept, not lost
    assert "A newer push waits to be built" in signed_in.get(f"/knowledge/layers/{layer.pk}/").content.decode()

    connect_oauth(signed_in)  # Reconnect
    layer.refresh_from_db()
    assert layer.active_generation == 2 and not layer.rebuild_requested
    assert Symbol.objects.filter(name="while_refused", generation__layer=layer).exists()


def test_a_signature_with_non_ascii_characters_is_refused_not_a_crash(acme, client):
    hook = Hook.objects.get(workspace=acme)
    answer = post_delivery(client, hook, b"{}", request_uuid=str(uuid.uuid4()), signature="sha256=é")
    assert answer.status_code == 401 and Delivery.objects.count() == 0


def test_where_alice_is_no_admin_each_layer_gets_a_repository_hook(signed_in, acme, bitbucket):
    globex = Workspace.objects.get(slug="globex")
    signed_in.post("/integrations/bitbucket/workspaces/link/", {"workspace": [globex.pk]})
    assert not Hook.objects.filter(workspace=globex).exists()  # members cannot add workspace hooks
    service = Repository.objects.get(workspace=globex, slug="service")
    signed_in.post("/knowledge/layers/create/", {"repository": [service.pk]})
    hook = Hook.objects.get(workspace=globex)
    assert hook.repository == service
    remote = [h for h in sandbox_hooks(bitbucket) if h["subject_type"] == "repository"]
    assert [(h["subject"], h["uuid"]) for h in remote] == [("globex/service", hook.bitbucket_uuid)]

    layer = KnowledgeLayer.objects.get(repository=service)
    branch = service.mainbranch
    bitbucket.control("POST", "/_sandbox/repositories/globex/service/commits",
                      json={"branch": branch, "files": {"later.py": "def later():\n    pass\n"}, "message": "Push"})
    bitbucket.wait_for_deliveries(lambda seen: any(d["hook_uuid"].strip("{}") == hook.bitbucket_uuid.strip("{}")
                                                   and d.get("status") in (200, 202) for d in seen))
    layer.refresh_from_db()
    assert layer.active_generation == 2 and Symbol.objects.filter(name="later", generation__layer=layer).exists()

    signed_in.post(f"/integrations/bitbucket/workspaces/{globex.pk}/disconnect/")
    assert [h for h in sandbox_hooks(bitbucket) if h["subject_type"] == "repository"] == []
    assert not Hook.objects.filter(workspace=globex).exists()
    assert Hook.objects.filter(workspace=acme).count() == 1  # the other workspace keeps its hook


def test_a_push_for_a_repository_being_deleted_is_ignored_and_queues_nothing(acme, signed_in, client):
    layer = create_layer(signed_in, acme, "api")
    Repository.objects.filter(pk=layer.repository_id).update(status=Repository.Status.DELETING)  # its deletion job runs
    payload = {"repository": {"uuid": layer.repository.uuid}, "push": {"changes": [{"new": {"type": "branch", "name": "main"}}]}}
    seen = task_ids()
    assert post_delivery(client, Hook.objects.get(workspace=acme), json.dumps(payload).encode()).status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.outcome) == (Delivery.Status.IGNORED, "the repository is being deleted")
    assert task_names_since(seen) == [f"delivery-{delivery.pk}"]
    assert KnowledgeLayer.objects.get(pk=layer.pk).active_generation == 1
