"""API-token Basic auth with per-endpoint scopes, and Bearer-only OAuth access tokens."""
from __future__ import annotations

import pytest

from tests.sandbox.helpers import ALICE, ALICE_NO_REPOSITORY, get, oauth_tokens, send
from tests.sandbox.openapi import validate_named


@pytest.mark.parametrize("path", ["/2.0/repositories/acme", "/2.0/repositories/acme/api",
                                  "/2.0/repositories/acme/api/src/main/README.md",
                                  "/2.0/repositories/acme/api/refs/branches",
                                  "/2.0/repositories/acme/api/diffstat/main",
                                  "/acme/api/get/main.tar.gz"])
def test_missing_scope_is_403_naming_the_scope(sandbox, path):
    answer = get(sandbox, path, auth=ALICE_NO_REPOSITORY)
    assert answer.status_code == 403
    validate_named(answer.json(), "error")
    assert "read:repository:bitbucket" in answer.json()["error"]["message"]


def test_the_same_token_reaches_what_its_scopes_allow(sandbox):
    assert get(sandbox, "/2.0/user", auth=ALICE_NO_REPOSITORY).status_code == 200
    assert get(sandbox, "/2.0/repositories/acme/api/pullrequests", auth=ALICE_NO_REPOSITORY).status_code == 200


def test_write_scope_does_not_imply_read(sandbox_clean):
    sandbox_clean.control("POST", "/_sandbox/users", json={
        "nickname": "wanda", "email": "wanda@example.com",
        "api_tokens": [{"token": "ATATT-wanda-write-only", "scopes": ["write:webhook:bitbucket"]}]})
    sandbox_clean.control("POST", "/_sandbox/workspaces/acme/members", json={"user": "wanda", "role": "owner"})
    wanda = ("wanda@example.com", "ATATT-wanda-write-only")
    created = send(sandbox_clean, "POST", "/2.0/repositories/acme/api/hooks", auth=wanda,
                   json={"url": "http://127.0.0.1:9/h", "description": "x", "events": ["repo:push"]})
    assert created.status_code == 201
    listed = get(sandbox_clean, "/2.0/repositories/acme/api/hooks", auth=wanda)
    assert listed.status_code == 403 and "read:webhook:bitbucket" in listed.json()["error"]["message"]
    removed = send(sandbox_clean, "DELETE", f"/2.0/repositories/acme/api/hooks/{created.json()['uuid']}", auth=wanda)
    assert removed.status_code == 403 and "delete:webhook:bitbucket" in removed.json()["error"]["message"]


@pytest.mark.parametrize("auth", [None, ("alice@example.com", "wrong"), ("alice", ALICE[1]),
                                  ALICE[1], "not-a-token"])
def test_bad_or_missing_credentials_are_401(sandbox, auth):
    answer = get(sandbox, "/2.0/user", auth=auth)
    assert answer.status_code == 401
    validate_named(answer.json(), "error")


def test_access_tokens_only_as_bearer(sandbox_clean):
    token = oauth_tokens(sandbox_clean)["access_token"]
    assert len(token) > 2500
    assert get(sandbox_clean, "/2.0/user", auth=token).status_code == 200
    in_query = get(sandbox_clean, f"/2.0/user?access_token={token}", auth=None)
    assert in_query.status_code == 401
    assert "Authorization" in in_query.json()["error"]["message"]


def test_oauth_scopes_are_checked_per_endpoint(sandbox_clean):
    token = oauth_tokens(sandbox_clean)
    assert token["scopes"] == "account email repository pullrequest pipeline webhook"
    for path in ("/2.0/user", "/2.0/user/emails", "/2.0/repositories/acme/api/pipelines",
                 "/2.0/repositories/acme/api/hooks", "/acme/api/get/main.tar.gz"):
        assert get(sandbox_clean, path, auth=token["access_token"]).status_code == 200, path


def test_request_log_records_auth_kind_and_never_the_token(sandbox_clean):
    token = oauth_tokens(sandbox_clean)["access_token"]
    get(sandbox_clean, "/2.0/user", auth=token)
    get(sandbox_clean, f"/2.0/user?access_token={token}", auth=None)
    get(sandbox_clean, "/2.0/user", auth=ALICE)
    seen = [r for r in sandbox_clean.requests_seen() if r["path"].startswith("/2.0/user")]
    assert [(r["auth"], r["status"]) for r in seen] == [("bearer", 200), ("query", 401), ("basic", 200)]
    assert seen[0]["user"] == "alice"
    assert token not in str(sandbox_clean.requests_seen())
