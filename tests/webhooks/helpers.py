"""Shared by the webhooks tests: a signed delivery as Bitbucket posts it, and a layer to push to."""
from __future__ import annotations

import time
import uuid

import pytest
from django_q.models import Task

from integrations.models import Repository, Workspace
from knowledge.models import KnowledgeLayer
from webhooks.models import Hook
from webhooks.services import signature_for


def post_delivery(client, hook: Hook, body: bytes, *, request_uuid: str | None = None, signature: str | None = None,
                  event="repo:push", attempt="1"):
    """POST `body` to the hook's endpoint with Bitbucket's headers, signed with its secret."""
    return client.post(
        f"/webhooks/bitbucket/{hook.pk}/", data=body, content_type="application/json",
        HTTP_X_EVENT_KEY=event, HTTP_X_REQUEST_UUID=request_uuid or str(uuid.uuid4()), HTTP_X_HOOK_UUID=hook.bitbucket_uuid,
        HTTP_X_ATTEMPT_NUMBER=attempt, HTTP_USER_AGENT="Bitbucket-Webhooks/2.0",
        HTTP_X_HUB_SIGNATURE=signature if signature is not None else signature_for(hook.secret, body),
    )


def create_layer(signed_in, workspace: Workspace, slug: str) -> KnowledgeLayer:
    """Create Knowledge Layer on the Repositories page; jobs run at once, so it is built."""
    repo = Repository.objects.get(workspace=workspace, slug=slug)
    signed_in.post("/knowledge/layers/create/", {"repository": [repo.pk]})
    return KnowledgeLayer.objects.get(repository=repo)


def task_names_since(seen: set) -> list[str]:
    """Names of the jobs queued (and, in sync mode, run) since `seen` = set(Task ids) was taken."""
    return sorted(name for pk, name in Task.objects.values_list("pk", "name") if pk not in seen)


def task_ids() -> set:
    return set(Task.objects.values_list("pk", flat=True))


def wait_for(find, *, what: str, timeout: float = 60.0):
    """Poll `find()` until it returns something truthy (a separate worker is doing the work), or fail."""
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f}s")
        time.sleep(0.1)


def path_fault(repository: Repository) -> str:
    """A sandbox fault pattern for GET /2.0/repositories/{workspace}/{repository}, braces encoded or not."""
    return rf"(?i)/2\.0/repositories/[^/]+/(%7B|\{{){repository.uuid.strip('{}')}(%7D|\}})$"
