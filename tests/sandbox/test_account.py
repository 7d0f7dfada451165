"""The caller's account: /2.0/user, emails, workspaces, and the endpoints Bitbucket removed (410)."""
from __future__ import annotations

import pytest

from tests.sandbox.helpers import ALICE, BOB, get, send
from tests.sandbox.openapi import validate, validate_named, validate_page


def test_current_user(sandbox):
    answer = get(sandbox, "/2.0/user")
    assert answer.status_code == 200
    user = answer.json()
    validate(user, "/user")
    assert user["type"] == "user" and user["nickname"] == "alice"
    assert user["uuid"] == "{4d8e5c3a-1f2b-4c6d-9e7f-0a1b2c3d4e5f}"
    assert user["account_id"] and user["display_name"] == "Alice Archer"
    assert user["links"]["self"]["href"].startswith(sandbox.url + "/2.0/users/%7B")


def test_user_by_uuid_and_emails(sandbox):
    me = get(sandbox, "/2.0/user").json()
    assert get(sandbox, f"/2.0/users/{me['uuid']}").json()["nickname"] == "alice"
    emails = get(sandbox, "/2.0/user/emails").json()
    validate_page(emails)
    assert emails["values"][0]["email"] == "alice@example.com"
    assert emails["values"][0]["is_primary"] is True and emails["values"][0]["is_confirmed"] is True


def test_emails_list_each_address_with_whether_it_is_confirmed(sandbox_clean):
    token = {"token": "ATATT3xFfGF0-dora", "scopes": ["read:user:bitbucket"]}
    created = sandbox_clean.control("POST", "/_sandbox/users", json={
        "nickname": "dora", "email": "dora@example.com", "api_tokens": [token],
        "emails": [{"email": "dora@example.com", "is_primary": True, "is_confirmed": False},
                   {"email": "dora@work.example"}]})
    assert created.status_code == 201, created.text
    emails = get(sandbox_clean, "/2.0/user/emails", auth=("dora@example.com", token["token"])).json()
    validate_page(emails)
    assert [(e["email"], e["is_primary"], e["is_confirmed"]) for e in emails["values"]] == [
        ("dora@example.com", True, False), ("dora@work.example", False, True)]

    sandbox_clean.control("POST", "/_sandbox/users", json={
        "nickname": "nemo", "api_tokens": [{**token, "token": "ATATT3xFfGF0-nemo"}], "emails": []})
    none = get(sandbox_clean, "/2.0/user/emails", auth=("nemo@example.com", "ATATT3xFfGF0-nemo")).json()
    assert none["values"] == [] and none["size"] == 0


def test_emails_of_the_wrong_shape_are_refused(sandbox_clean):
    answer = sandbox_clean.control("POST", "/_sandbox/users", json={"nickname": "odd", "emails": ["odd@example.com"]})
    assert answer.status_code == 400 and "emails" in answer.json()["error"]["message"]


def test_user_workspaces_lists_only_memberships(sandbox):
    answer = get(sandbox, "/2.0/user/workspaces").json()
    validate(answer, "/user/workspaces")
    by_slug = {v["workspace"]["slug"]: v for v in answer["values"]}
    assert set(by_slug) == {"acme", "globex", "initech"}          # not umbrella
    assert by_slug["acme"]["administrator"] is True
    assert by_slug["globex"]["administrator"] is False
    assert all(v["type"] == "workspace_access" for v in answer["values"])
    assert by_slug["acme"]["workspace"]["uuid"] == "{a1c0e000-0000-4000-8000-000000000001}"
    bobs = {v["workspace"]["slug"] for v in get(sandbox, "/2.0/user/workspaces", auth=BOB).json()["values"]}
    assert bobs == {"acme", "globex", "initech", "umbrella"}


def test_the_callers_role_in_one_workspace(sandbox):
    owner = get(sandbox, "/2.0/user/workspaces/acme/permission").json()
    validate(owner, "/user/workspaces/{workspace}/permission")
    assert (owner["type"], owner["permission"], owner["workspace"]["slug"]) == ("workspace_membership", "owner", "acme")
    by_uuid = get(sandbox, "/2.0/user/workspaces/%7Ba1c0e000-0000-4000-8000-000000000001%7D/permission").json()
    assert by_uuid["user"]["nickname"] == "alice" and by_uuid["permission"] == "owner"
    assert get(sandbox, "/2.0/user/workspaces/globex/permission").json()["permission"] == "member"
    assert get(sandbox, "/2.0/user/workspaces/umbrella/permission").status_code == 403  # bob's alone
    assert get(sandbox, "/2.0/user/workspaces/nowhere/permission").status_code == 404


def test_one_workspace_for_members_only(sandbox):
    workspace = get(sandbox, "/2.0/workspaces/acme").json()
    validate_named(workspace, "workspace")
    assert workspace["slug"] == "acme" and workspace["name"] == "Acme Corp"
    assert get(sandbox, "/2.0/workspaces/umbrella").status_code == 404


@pytest.mark.parametrize("path", ["/2.0/workspaces", "/2.0/repositories", "/2.0/repositories/",
                                  "/2.0/user/permissions/workspaces", "/2.0/workspaces?role=member"])
def test_removed_endpoints_answer_410(sandbox, path):
    answer = get(sandbox, path, auth=ALICE)
    assert answer.status_code == 410
    validate_named(answer.json(), "error")
    assert "CHANGE-2770" in answer.json()["error"]["message"]


def test_unknown_endpoints_and_methods(sandbox):
    missing = get(sandbox, "/2.0/nothing/here")
    assert missing.status_code == 404
    validate_named(missing.json(), "error")
    assert send(sandbox, "POST", "/2.0/user").status_code == 405


def test_workspace_hooks_path_still_works_beside_the_removed_list(sandbox):
    assert get(sandbox, "/2.0/workspaces/acme/hooks").status_code == 200
