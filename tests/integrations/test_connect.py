"""Connecting Bitbucket by OAuth or API token, as a user does it, against the sandbox over HTTP."""
from __future__ import annotations

import pytest
from django.db import connection as db

from integrations.models import Connection, Repository, Workspace

pytestmark = pytest.mark.django_db(transaction=True)


def alice_workspaces(seed: dict) -> list[dict]:
    return [ws for ws in seed["workspaces"] if "alice" in ws.get("members", {})]


def test_oauth_connect_shows_connected_account_and_scopes(signed_in, connect_oauth, seed):
    page = connect_oauth(signed_in)
    html = page.content.decode()
    assert "Connected" in html and "Connected to Bitbucket as" in html
    connection = Connection.objects.get()
    assert connection.status == Connection.Status.CONNECTED
    assert connection.nickname == "alice"
    assert {"repository", "webhook"} <= set(connection.scope_list)
    for scope in connection.scope_list:
        assert scope in html
    # Every workspace alice can see was fetched right after connecting, none linked yet.
    assert Workspace.objects.filter(connection=connection).count() == len(alice_workspaces(seed))
    assert not Workspace.objects.filter(status=Workspace.Status.ACTIVE).exists()


def test_tokens_are_encrypted_at_rest(signed_in, connect_oauth):
    connect_oauth(signed_in)
    connection = Connection.objects.get()
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_connection")
        raw_access, raw_refresh = cursor.fetchone()
    assert connection.access_token and connection.refresh_token
    assert connection.access_token not in raw_access and connection.refresh_token not in raw_refresh
    assert raw_access.startswith("gAAAA")  # a Fernet token
    page = signed_in.get("/integrations/").content.decode()
    assert connection.access_token not in page and connection.refresh_token not in page


def test_cancel_on_the_consent_page_stores_nothing(signed_in, connect_oauth):
    page = connect_oauth(signed_in, button="Cancel")
    assert "Bitbucket access was not granted" in page.content.decode()
    assert Connection.objects.count() == 0 and Workspace.objects.count() == 0
    assert "Connect Bitbucket" in page.content.decode()


def test_a_connected_user_is_not_sent_to_bitbucket_again(signed_in, connect_oauth, bitbucket):
    connect_oauth(signed_in)
    page = signed_in.get("/integrations/").content.decode()
    assert "Connect Bitbucket" not in page.replace("Disconnect Bitbucket", "")
    assert "Disconnect Bitbucket" in page


def test_api_token_is_verified_before_it_is_saved(signed_in, bitbucket, seed):
    alice = next(u for u in seed["users"] if u["nickname"] == "alice")
    full = max(alice["api_tokens"], key=lambda t: len(t["scopes"]))
    page = signed_in.post("/integrations/bitbucket/token/", {"email": alice["email"], "token": full["token"]}, follow=True)
    assert "Connected to Bitbucket as" in page.content.decode()
    # Bitbucket does not list an API token's scopes: the page shows the probed ones for what they are.
    assert "Verified scopes" in page.content.decode() and "Granted scopes" not in page.content.decode()
    connection = Connection.objects.get()
    assert connection.auth_method == Connection.AuthMethod.API_TOKEN and connection.api_email == alice["email"]
    assert Workspace.objects.filter(connection=connection).count() == len(alice_workspaces(seed))
    # The token went out as HTTP Basic, never as Bearer.
    requests_seen = bitbucket.requests_seen()
    api_calls = [r for r in requests_seen if r["path"].startswith("/2.0/")]
    assert api_calls and all(r["auth"] == "basic" for r in api_calls)


def test_wrong_api_token_gives_a_clear_error_and_stores_nothing(signed_in, bitbucket, seed):
    alice = next(u for u in seed["users"] if u["nickname"] == "alice")
    page = signed_in.post("/integrations/bitbucket/token/", {"email": alice["email"], "token": "not-a-token"})
    assert page.status_code == 400
    assert "did not accept this e-mail and API token" in page.content.decode()
    assert Connection.objects.count() == 0


def test_api_token_missing_a_scope_is_named(signed_in, bitbucket, seed):
    alice = next(u for u in seed["users"] if u["nickname"] == "alice")
    lacking = next(t for t in alice["api_tokens"] if "read:repository:bitbucket" not in t["scopes"])
    page = signed_in.post("/integrations/bitbucket/token/", {"email": alice["email"], "token": lacking["token"]})
    html = page.content.decode()
    assert page.status_code == 400 and "read:repository:bitbucket" in html
    assert Connection.objects.count() == 0 and Repository.objects.count() == 0
