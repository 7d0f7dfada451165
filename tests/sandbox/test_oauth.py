"""The OAuth consumer flow: consent page, codes, token endpoint, expiry, rotation and revocation."""
from __future__ import annotations

import pytest
import requests

from tests.fixtures.sandbox import start_sandbox
from tests.sandbox.helpers import (
    CALLBACK_CLIENT,
    CALLBACK_URL,
    CLIENT,
    REDIRECT,
    authorize,
    form_fields,
    get,
    oauth_tokens,
    token_request,
)

EXPIRED = "Access token expired. Use your refresh token to obtain a new access token."


def test_consent_page_offers_a_user_choice_and_both_buttons(sandbox):
    page = requests.get(sandbox.url + "/site/oauth2/authorize", timeout=10, params={
        "client_id": CLIENT[0], "response_type": "code", "state": "xyz", "redirect_uri": REDIRECT})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    for words in ("Grant access", "Cancel", "Bitbucket user", "Strata (tests)", "Alice Archer", "Bob Builder"):
        assert words in html
    assert '<select id="user" name="user">' in html and '<label for="user">' in html
    assert form_fields(html) == {"client_id": CLIENT[0], "response_type": "code", "state": "xyz",
                                 "redirect_uri": REDIRECT}


def test_unknown_client_gets_an_error_page(sandbox):
    page = requests.get(sandbox.url + "/site/oauth2/authorize", timeout=10,
                        params={"client_id": "nobody", "response_type": "code"})
    assert page.status_code == 400 and "Invalid client_id" in page.text


def test_cancel_redirects_with_access_denied_and_state(sandbox):
    query = authorize(sandbox, decision="cancel", state="keep-me")
    assert query["error"] == ["access_denied"] and query["state"] == ["keep-me"]
    assert "code" not in query and query["error_description"]


def test_callback_url_bounds_the_redirect(sandbox):
    query = authorize(sandbox, client=CALLBACK_CLIENT, redirect_uri=None)
    assert query["code"]
    answer = requests.post(sandbox.url + "/site/oauth2/authorize", allow_redirects=False, timeout=10, data={
        "client_id": CALLBACK_CLIENT[0], "response_type": "code", "redirect_uri": "http://evil.example/",
        "user": "alice", "decision": "grant"})
    assert answer.status_code == 400 and "redirect_uri" in answer.text
    ok = requests.post(sandbox.url + "/site/oauth2/authorize", allow_redirects=False, timeout=10, data={
        "client_id": CALLBACK_CLIENT[0], "response_type": "code", "redirect_uri": CALLBACK_URL + "?next=/",
        "user": "alice", "decision": "grant", "state": "s"})
    assert ok.status_code == 302 and ok.headers["Location"].startswith(CALLBACK_URL + "?next=/&code=")


def test_a_callback_url_given_on_the_command_line_replaces_the_seeds_and_survives_a_reset():
    """`make demo` on other ports starts the sandbox with the app's callback URL for its consumer."""
    moved = "http://127.0.0.1:8035/accounts/bitbucket/login/callback/"
    running = start_sandbox(args=["--callback-url", f"{CALLBACK_CLIENT[0]}={moved}"])
    try:
        for _ in range(2):
            query = authorize(running, client=CALLBACK_CLIENT, redirect_uri=moved)
            assert query["code"]
            refused = requests.post(running.url + "/site/oauth2/authorize", allow_redirects=False, timeout=10, data={
                "client_id": CALLBACK_CLIENT[0], "response_type": "code", "redirect_uri": CALLBACK_URL,
                "user": "alice", "decision": "grant"})
            assert refused.status_code == 400 and "redirect_uri" in refused.text
            running.reset()
    finally:
        running.stop()


def test_a_malformed_callback_override_is_refused_on_the_command_line():
    with pytest.raises(RuntimeError, match="--callback-url"):
        start_sandbox(args=["--callback-url", "strata-callback"])


def test_code_grant_returns_bitbucket_token_shape_and_the_chosen_user(sandbox):
    query = authorize(sandbox, user="bob", state="st")
    assert query["state"] == ["st"]
    answer = token_request(sandbox, {"grant_type": "authorization_code", "code": query["code"][0]})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 7200
    assert body["scopes"] == body["scope"] == "account email repository pullrequest pipeline webhook"
    assert body["refresh_token"] and body["access_token"] != body["refresh_token"]
    assert get(sandbox, "/2.0/user", auth=body["access_token"]).json()["nickname"] == "bob"


def test_codes_are_single_use(sandbox):
    code = authorize(sandbox)["code"][0]
    assert token_request(sandbox, {"grant_type": "authorization_code", "code": code}).status_code == 200
    again = token_request(sandbox, {"grant_type": "authorization_code", "code": code})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_client_credentials_in_the_body_work(sandbox):
    code = authorize(sandbox)["code"][0]
    answer = requests.post(sandbox.url + "/site/oauth2/access_token", timeout=10, data={
        "grant_type": "authorization_code", "code": code,
        "client_id": CLIENT[0], "client_secret": CLIENT[1]})
    assert answer.status_code == 200 and answer.json()["access_token"]


def test_json_body_is_refused(sandbox):
    code = authorize(sandbox)["code"][0]
    answer = requests.post(sandbox.url + "/site/oauth2/access_token", auth=CLIENT, timeout=10,
                           json={"grant_type": "authorization_code", "code": code})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_bad_client_is_unauthorized_client(sandbox):
    code = authorize(sandbox)["code"][0]
    answer = token_request(sandbox, {"grant_type": "authorization_code", "code": code},
                           client=(CLIENT[0], "wrong-secret"))
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized_client" and answer.json()["error_description"]


def test_unknown_grant_type(sandbox):
    answer = token_request(sandbox, {"grant_type": "password"})
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"


def test_expiry_refresh_and_rotation(sandbox_clean):
    tokens = oauth_tokens(sandbox_clean)
    assert sandbox_clean.control("POST", "/_sandbox/tokens/expire").json()["expired"] == 1
    expired = get(sandbox_clean, "/2.0/user", auth=tokens["access_token"])
    assert expired.status_code == 401
    assert expired.json() == {"type": "error", "error": {"message": EXPIRED}}
    renewed = token_request(sandbox_clean, {"grant_type": "refresh_token",
                                            "refresh_token": tokens["refresh_token"]})
    assert renewed.status_code == 200
    fresh = renewed.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert get(sandbox_clean, "/2.0/user", auth=fresh["access_token"]).status_code == 200
    reused = token_request(sandbox_clean, {"grant_type": "refresh_token",
                                           "refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert token_request(sandbox_clean, {"grant_type": "refresh_token",
                                         "refresh_token": fresh["refresh_token"]}).status_code == 200


def test_revocation_kills_access_and_refresh(sandbox_clean):
    tokens = oauth_tokens(sandbox_clean)
    bobs = oauth_tokens(sandbox_clean, user="bob")
    revoked = sandbox_clean.control("POST", "/_sandbox/users/alice/revoke").json()["revoked"]
    assert revoked == {"access_tokens": 1, "refresh_tokens": 1, "api_tokens": 0}
    assert get(sandbox_clean, "/2.0/user", auth=tokens["access_token"]).status_code == 401
    refused = token_request(sandbox_clean, {"grant_type": "refresh_token",
                                            "refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert get(sandbox_clean, "/2.0/user", auth=bobs["access_token"]).status_code == 200


def test_revoking_api_tokens_too(sandbox_clean):
    sandbox_clean.control("POST", "/_sandbox/users/alice/revoke", json={"api_tokens": True})
    assert get(sandbox_clean, "/2.0/user").status_code == 401


def test_reset_forgets_tokens(sandbox_clean):
    token = oauth_tokens(sandbox_clean)["access_token"]
    sandbox_clean.reset()
    assert get(sandbox_clean, "/2.0/user", auth=token).status_code == 401
