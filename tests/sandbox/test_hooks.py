"""Repository and workspace webhooks: CRUD, validation, secrets never returned, admins only for workspaces."""
from __future__ import annotations

import json

import pytest

from tests.sandbox.helpers import BOB, get, send
from tests.sandbox.openapi import validate
from tests.support import shared_path

REPO_HOOKS = "/2.0/repositories/acme/api/hooks"
HOOK = {"url": "https://strata.example/webhooks/bitbucket/x/", "description": "Strata",
        "active": True, "events": ["repo:push", "pullrequest:created"], "secret": "s3cr3t-value"}


def test_repository_hook_crud(sandbox_clean):
    created = send(sandbox_clean, "POST", REPO_HOOKS, json=HOOK)
    assert created.status_code == 201
    hook = created.json()
    validate(hook, "/repositories/{workspace}/{repo_slug}/hooks", method="post", status=201)
    real = json.loads(shared_path("bitbucket", "rest", "repository-hooks.json").read_text())
    assert set(real) <= set(hook)
    assert hook["uuid"].startswith("{") and hook["secret_set"] is True and "secret" not in hook
    assert hook["subject"]["full_name"] == "acme/api" and hook["subject"]["type"] == "repository"
    assert "s3cr3t-value" not in created.text
    one = f"{REPO_HOOKS}/{hook['uuid']}"
    listed = get(sandbox_clean, REPO_HOOKS).json()
    validate(listed, "/repositories/{workspace}/{repo_slug}/hooks")
    assert [h["uuid"] for h in listed["values"]] == [hook["uuid"]]
    assert "s3cr3t-value" not in json.dumps(listed)
    validate(get(sandbox_clean, one).json(), "/repositories/{workspace}/{repo_slug}/hooks/{uid}")
    updated = send(sandbox_clean, "PUT", one.replace("{", "%7B").replace("}", "%7D"),
                   json={"active": False, "events": ["repo:push"]})
    assert updated.status_code == 200
    validate(updated.json(), "/repositories/{workspace}/{repo_slug}/hooks/{uid}", method="put")
    assert updated.json()["active"] is False and updated.json()["events"] == ["repo:push"]
    assert updated.json()["secret_set"] is True and updated.json()["url"] == HOOK["url"]
    cleared = send(sandbox_clean, "PUT", one, json={"secret": None}).json()
    assert cleared["secret_set"] is False
    assert send(sandbox_clean, "DELETE", one).status_code == 204
    assert get(sandbox_clean, one).status_code == 404
    assert send(sandbox_clean, "DELETE", one).status_code == 404


def test_hook_without_secret(sandbox_clean):
    hook = send(sandbox_clean, "POST", REPO_HOOKS, json={**HOOK, "secret": None}).json()
    assert hook["secret_set"] is False


@pytest.mark.parametrize("change, field", [
    ({"url": "ftp://nope"}, "url"), ({"events": []}, "events"), ({"events": ["repo:explode"]}, "events"),
    ({"secret": "x" * 129}, "secret"), ({"active": "yes"}, "active"),
])
def test_invalid_hooks_are_400(sandbox_clean, change, field):
    answer = send(sandbox_clean, "POST", REPO_HOOKS, json={**HOOK, **change})
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]


def test_secret_of_128_characters_is_fine(sandbox_clean):
    assert send(sandbox_clean, "POST", REPO_HOOKS, json={**HOOK, "secret": "x" * 128}).status_code == 201


def test_workspace_hooks_need_an_administrator(sandbox_clean):
    created = send(sandbox_clean, "POST", "/2.0/workspaces/acme/hooks", json=HOOK)
    assert created.status_code == 201
    validate(created.json(), "/workspaces/{workspace}/hooks", method="post", status=201)
    assert created.json()["subject"]["slug"] == "acme"
    listed = get(sandbox_clean, "/2.0/workspaces/acme/hooks").json()
    validate(listed, "/workspaces/{workspace}/hooks")
    assert len(listed["values"]) == 1
    assert get(sandbox_clean, "/2.0/workspaces/acme/hooks", auth=BOB).status_code == 403
    assert send(sandbox_clean, "POST", "/2.0/workspaces/globex/hooks", json=HOOK).status_code == 403
    assert send(sandbox_clean, "POST", "/2.0/workspaces/globex/hooks", json=HOOK, auth=BOB).status_code == 201
    assert get(sandbox_clean, "/2.0/workspaces/umbrella/hooks").status_code == 404


def test_control_api_lists_every_hook_and_reset_drops_them(sandbox_clean):
    send(sandbox_clean, "POST", REPO_HOOKS, json=HOOK)
    send(sandbox_clean, "POST", "/2.0/workspaces/acme/hooks", json=HOOK)
    hooks = sandbox_clean.control("GET", "/_sandbox/hooks").json()["hooks"]
    assert sorted((h["subject_type"], h["subject"]) for h in hooks) == [("repository", "acme/api"),
                                                                        ("workspace", "acme")]
    assert "s3cr3t-value" not in json.dumps(hooks)
    sandbox_clean.reset()
    assert sandbox_clean.control("GET", "/_sandbox/hooks").json()["hooks"] == []
