"""Sign in (and sign up) with Bitbucket, as a signed-out person does it, against the sandbox over HTTP."""
from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import get_user_model

from integrations.models import Connection, Workspace

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()


def signed_in_as(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def final_path(page) -> str:
    return page.redirect_chain[-1][0] if page.redirect_chain else page.request["PATH_INFO"]


def alice_of(seed: dict) -> dict:
    return next(u for u in seed["users"] if u["nickname"] == "alice")


def add_bitbucket_user(bitbucket, nickname: str, emails: list[dict]) -> None:
    answer = bitbucket.control("POST", "/_sandbox/users", json={"nickname": nickname, "emails": emails})
    assert answer.status_code == 201, answer.text


def test_a_new_person_signs_up_with_bitbucket_and_is_connected_at_once(client, sign_in_oauth, seed):
    alice = alice_of(seed)
    page = sign_in_oauth(client)
    html = page.content.decode()
    user = User.objects.get()
    assert signed_in_as(client) == user.pk and final_path(page) == "/knowledge/"
    assert "your account (alice@example.com) was made from Bitbucket" in html
    assert "Successfully signed in as alice@example.com." in html
    assert user.email == alice["email"] and not user.has_usable_password()
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (alice["email"], True, True)
    connection = Connection.objects.get(user=user)
    assert connection.status == Connection.Status.CONNECTED and connection.auth_method == Connection.AuthMethod.OAUTH
    assert connection.account_uuid == alice["uuid"] and connection.nickname == "alice"
    assert connection.access_token and connection.refresh_token and {"repository", "webhook"} <= set(connection.scope_list)
    # Connected exactly as Connect Bitbucket does: the workspaces were fetched at once.
    assert Workspace.objects.filter(connection=connection).exists()
    # Tokens live on the connection only, never in allauth's tables.
    assert SocialAccount.objects.count() == 0 and SocialToken.objects.count() == 0


def test_a_connected_user_signs_in_with_bitbucket_and_lands_where_they_were_going(
    client, make_user, connect_oauth, sign_in_oauth,
):
    ada = make_user("ada@example.com")
    client.force_login(ada)
    connect_oauth(client)
    before = Connection.objects.get(user=ada)
    client.logout()

    page = sign_in_oauth(client, next="/integrations/")
    assert signed_in_as(client) == ada.pk and final_path(page) == "/integrations/"
    assert User.objects.count() == 1
    after = Connection.objects.get(user=ada)
    assert after.pk == before.pk and after.token_version > before.token_version  # the fresh tokens kept
    assert "Connected" in page.content.decode()


def test_signing_in_restores_a_connection_waiting_for_reconnect(client, make_user, connect_oauth, sign_in_oauth):
    ada = make_user("ada@example.com")
    client.force_login(ada)
    connect_oauth(client)
    Connection.objects.filter(user=ada).update(status=Connection.Status.RECONNECT, last_error="revoked")
    client.logout()

    sign_in_oauth(client)
    assert signed_in_as(client) == ada.pk
    assert Connection.objects.get(user=ada).status == Connection.Status.CONNECTED


def test_a_user_connected_by_api_token_signs_in_and_keeps_the_token(client, make_user, bitbucket, seed, sign_in_oauth):
    alice = alice_of(seed)
    ada = make_user("ada@example.com")
    client.force_login(ada)
    token = max(alice["api_tokens"], key=lambda t: len(t["scopes"]))["token"]
    client.post("/integrations/bitbucket/token/", {"email": alice["email"], "token": token})
    client.logout()

    sign_in_oauth(client)
    assert signed_in_as(client) == ada.pk
    connection = Connection.objects.get(user=ada)
    assert connection.auth_method == Connection.AuthMethod.API_TOKEN and connection.access_token == token


def test_an_address_that_already_has_an_account_is_never_merged(client, make_user, sign_in_oauth, seed):
    owner = make_user(alice_of(seed)["email"].upper())
    page = sign_in_oauth(client)
    html = page.content.decode()
    assert signed_in_as(client) is None and final_path(page) == "/accounts/login/"
    assert "already exists. Sign in with your e-mail and password, then connect Bitbucket from Integrations." in html
    assert list(User.objects.all()) == [owner] and not Connection.objects.exists()


@pytest.mark.parametrize("emails", [
    [{"email": "dora@example.com", "is_primary": True, "is_confirmed": False}],
    [],
], ids=["unconfirmed", "none"])
def test_no_confirmed_address_means_no_account(client, bitbucket, sign_in_oauth, emails):
    add_bitbucket_user(bitbucket, "dora", emails)
    page = sign_in_oauth(client, user="dora")
    html = page.content.decode()
    assert final_path(page) == "/accounts/login/" and signed_in_as(client) is None
    assert "Bitbucket lists no confirmed e-mail address for this account" in html
    assert not User.objects.exists() and not Connection.objects.exists()


def test_a_confirmed_secondary_address_is_used_when_the_primary_is_not_confirmed(client, bitbucket, sign_in_oauth):
    add_bitbucket_user(bitbucket, "dora", [
        {"email": "dora@example.com", "is_primary": True, "is_confirmed": False},
        {"email": "dora@work.example", "is_confirmed": True},
    ])
    sign_in_oauth(client, user="dora")
    assert User.objects.get().email == "dora@work.example"


def test_cancel_on_the_consent_page_signs_nobody_in(client, sign_in_oauth):
    page = sign_in_oauth(client, button="Cancel")
    assert final_path(page) == "/accounts/login/"
    assert "Bitbucket access was not granted, so you were not signed in." in page.content.decode()
    assert signed_in_as(client) is None and not User.objects.exists()


def test_a_refused_token_exchange_is_said_on_the_sign_in_page(client, settings, sign_in_oauth):
    app = settings.SOCIALACCOUNT_PROVIDERS["bitbucket"]["APP"]
    settings.SOCIALACCOUNT_PROVIDERS = {"bitbucket": {
        **settings.SOCIALACCOUNT_PROVIDERS["bitbucket"], "APP": {**app, "secret": "not-the-secret"}}}
    page = sign_in_oauth(client)
    assert page.status_code == 200 and final_path(page) == "/accounts/login/"
    assert "Signing in with Bitbucket failed: Bitbucket refused to issue a token" in page.content.decode()
    assert signed_in_as(client) is None and not User.objects.exists()


def test_a_callback_strata_did_not_start_is_refused_with_a_message(client, bitbucket):
    page = client.get("/accounts/bitbucket/login/callback/?code=made-up&state=made-up", follow=True)
    assert final_path(page) == "/accounts/login/"
    assert "this authorisation is not one Strata started here" in page.content.decode()
    assert not User.objects.exists()


def test_bitbucket_failing_to_say_who_you_are_is_said(client, bitbucket, sign_in_oauth):
    bitbucket.control("POST", "/_sandbox/faults", json={"path": "^/2.0/user$", "status": 503, "times": None})
    page = sign_in_oauth(client)
    assert final_path(page) == "/accounts/login/"
    assert "Bitbucket did not say who you are." in page.content.decode()
    assert not User.objects.exists() and not Connection.objects.exists()


def test_closed_sign_up_turns_new_people_away_but_lets_connected_users_in(
    client, settings, make_user, connect_oauth, sign_in_oauth,
):
    settings.ACCOUNT_ALLOW_SIGNUP = False
    page = sign_in_oauth(client, user="bob")
    assert "sign-up is closed here" in page.content.decode() and not Connection.objects.exists()

    ada = make_user("ada@example.com")
    client.force_login(ada)
    connect_oauth(client)
    client.logout()
    sign_in_oauth(client)
    assert signed_in_as(client) == ada.pk


def test_a_bitbucket_account_connected_to_two_strata_accounts_opens_neither(
    client, make_user, connect_oauth, sign_in_oauth,
):
    for email in ("ada@example.com", "grace@example.com"):
        client.force_login(make_user(email))
        connect_oauth(client)
        client.logout()
    page = sign_in_oauth(client)
    assert "connected to more than one Strata account" in page.content.decode()
    assert signed_in_as(client) is None


def test_the_bitbucket_button_is_offered_only_with_an_oauth_consumer(client, settings):
    settings.BITBUCKET_OAUTH_KEY, settings.BITBUCKET_OAUTH_SECRET = "key", "secret"
    for path in ("/accounts/login/", "/accounts/signup/"):
        html = client.get(path).content.decode()
        assert "Continue with Bitbucket" in html and 'action="/accounts/bitbucket/login/?process=login"' in html
    settings.BITBUCKET_OAUTH_KEY = ""
    for path in ("/accounts/login/", "/accounts/signup/"):
        assert "with Bitbucket" not in client.get(path).content.decode()
