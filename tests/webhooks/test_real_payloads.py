"""Every payload Bitbucket Cloud really sent (../shared/bitbucket/webhooks/) posted to our endpoint:
what the delivery ends as, and what it queued."""
from __future__ import annotations

import json

import pytest

from integrations.models import Repository, Workspace
from knowledge.models import KnowledgeLayer
from tests.support import SHARED, shared_path
from tests.webhooks.helpers import create_layer, post_delivery, task_ids, task_names_since
from webhooks.models import Delivery, Hook

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSED, IGNORED = Delivery.Status.PROCESSED, Delivery.Status.IGNORED
MAIN = "main"  # the main branch of every payload's repository here
# file: (final status, a rebuild queued, a repositories sync queued)
EXPECTED = {
    "annotated_tag_created.json": (PROCESSED, False, False),  # a tag is not the main branch
    "branch_created.json": (PROCESSED, False, False),  # feature/test
    "branch_deleted.json": (PROCESSED, False, False),  # new: null
    "commit_created.json": (PROCESSED, False, False),  # feature/issue-819
    "pullrequest-createPayloadFork.json": (IGNORED, False, False),  # no handler for pull requests yet
    "pullrequest-createPayloadOrigin.json": (IGNORED, False, False),
    "pullrequest-fulfilledPayload.json": (IGNORED, False, False),
    "pullrequest-rejectedPayload.json": (IGNORED, False, False),
    "pullrequest-updatePayload_newCommit.json": (IGNORED, False, False),
    "pullrequest-updatePayload_newDestination.json": (IGNORED, False, False),
    "pullrequest-updatePayload_newDestinationCommit.json": (IGNORED, False, False),
    "pullrequest_created.json": (IGNORED, False, False),
    "pullrequest_rejected.json": (IGNORED, False, False),
    "pullrequest_updated.json": (IGNORED, False, False),
    "push-createPayload.json": (PROCESSED, True, False),  # main created
    "push-emptyPayload.json": (PROCESSED, False, False),  # no changes at all
    "push-multipleChangesPayload.json": (PROCESSED, True, False),  # main moved, a branch and a tag created
    "push-newTagPayload.json": (PROCESSED, False, False),
    "push-updatePayload.json": (PROCESSED, True, False),  # main moved
    "signed_payload.json": (PROCESSED, False, False),  # feature/webhook created
    "tag_created.json": (PROCESSED, False, False),
    "tag_deleted.json": (PROCESSED, False, False),
}
PAYLOADS = sorted(path.name for path in (SHARED / "bitbucket" / "webhooks").glob("*.json") if path.name != "index.json")


def test_every_captured_payload_has_an_expectation_here():
    index = json.loads(shared_path("bitbucket", "webhooks", "index.json").read_text())
    assert set(PAYLOADS) == set(index) == set(EXPECTED)


def _on_bitbucket(bitbucket, payload: dict) -> None:
    """The payload's repository, under its own UUID, in a workspace alice owns (so we get a workspace hook)."""
    repository = payload["repository"]
    workspace = {"slug": "hooked", "name": "Hooked", "members": {"alice": "owner"}}
    if isinstance(repository.get("workspace"), dict):
        workspace["uuid"] = repository["workspace"]["uuid"]
    assert bitbucket.control("POST", "/_sandbox/workspaces", json=workspace).status_code == 201
    created = bitbucket.control("POST", "/_sandbox/repositories", json={
        "workspace": "hooked", "slug": repository["full_name"].split("/")[1].lower(), "uuid": repository["uuid"],
        "mainbranch": MAIN, "source": {"files": {"README.md": "# Hooked\n"}},
    })
    assert created.status_code == 201, created.text


def _linked(signed_in, connect_oauth) -> Workspace:
    connect_oauth(signed_in)
    workspace = Workspace.objects.get(slug="hooked")
    signed_in.post("/integrations/bitbucket/workspaces/link/", {"workspace": [workspace.pk]})
    return workspace


@pytest.mark.parametrize("name", PAYLOADS)
def test_a_real_payload_is_handled_as_bitbucket_meant_it(name, signed_in, connect_oauth, bitbucket, client):
    body = shared_path("bitbucket", "webhooks", name).read_bytes()
    payload = json.loads(body)
    _on_bitbucket(bitbucket, payload)
    workspace = _linked(signed_in, connect_oauth)
    layer = create_layer(signed_in, workspace, Repository.objects.get(uuid=payload["repository"]["uuid"]).slug)
    assert layer.active_generation == 1

    seen = task_ids()
    event = json.loads(shared_path("bitbucket", "webhooks", "index.json").read_text())[name]["event_key"]
    answer = post_delivery(client, Hook.objects.get(workspace=workspace), body, event=event)
    assert answer.status_code == 202, answer.content

    status, rebuild, sync = EXPECTED[name]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.tries, delivery.error) == (status, 1, "")
    queued = task_names_since(seen)
    assert (f"build-layer-{layer.pk}" in queued, f"sync-repositories-{workspace.pk}" in queued) == (rebuild, sync), queued
    # The payload is a trigger only: the sandbox's head did not move, so a rebuild finds it served already.
    assert KnowledgeLayer.objects.get(pk=layer.pk).active_generation == 1


def test_a_push_to_a_repository_not_loaded_yet_queues_a_repositories_sync(signed_in, connect_oauth, bitbucket, client):
    body = shared_path("bitbucket", "webhooks", "push-createPayload.json").read_bytes()
    payload = json.loads(body)
    bitbucket.control("POST", "/_sandbox/workspaces", json={"slug": "hooked", "members": {"alice": "owner"}})
    workspace = _linked(signed_in, connect_oauth)
    assert not Repository.objects.filter(workspace=workspace).exists()
    _created_after = bitbucket.control("POST", "/_sandbox/repositories", json={
        "workspace": "hooked", "slug": "temp", "uuid": payload["repository"]["uuid"], "mainbranch": MAIN,
        "source": {"files": {"README.md": "# New\n"}},
    })
    assert _created_after.status_code == 201

    seen = task_ids()
    assert post_delivery(client, Hook.objects.get(workspace=workspace), body).status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.outcome) == (PROCESSED, "a repository not loaded yet: repositories sync queued")
    assert f"sync-repositories-{workspace.pk}" in task_names_since(seen)
    assert Repository.objects.filter(workspace=workspace, uuid=payload["repository"]["uuid"]).exists()
