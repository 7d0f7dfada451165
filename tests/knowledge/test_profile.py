"""The profile page's API tokens: made once (a reload makes no second one), shown once, revoked after asking."""
from __future__ import annotations

import pytest
from django.test import Client

from knowledge.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)


def shown_token(html: str) -> str | None:
    if '<code id="new-token">' not in html:
        return None
    return html.split('<code id="new-token">')[1].split("<")[0]


def test_creating_a_token_redirects_shows_it_once_with_a_copy_button_and_a_reload_makes_no_second(signed_in):
    answer = signed_in.post("/profile/tokens/", {"name": "my agent"})
    assert answer.status_code == 302 and answer["Location"] == "/profile/#new-token-card"
    page = signed_in.get("/profile/")
    html = page.content.decode()
    token = shown_token(html)
    assert token and token.startswith("strata_") and "my agent" in html
    assert 'data-copy="#new-token"' in html and "copy it now, it is not shown again" in html
    assert "no-cache" in page["Cache-Control"]  # the page holding it is not kept by the browser
    # The session held it encrypted, for that one page: it is gone now, and never stored plainly.
    assert token not in str(dict(signed_in.session)) and shown_token(signed_in.get("/profile/").content.decode()) is None
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().prefix == token[:12]


@pytest.mark.parametrize("name, why", [("", "Name the token"), ("   ", "Name the token"), ("x" * 101, "100 characters or fewer")])
def test_a_bad_token_name_creates_nothing_says_why_and_keeps_what_was_typed(signed_in, name, why):
    answer = signed_in.post("/profile/tokens/", {"name": name})
    html = answer.content.decode()
    assert answer.status_code == 400 and why in html and 'aria-invalid="true"' in html
    if name.strip():
        assert f'value="{name}"' in html
    assert not ApiToken.objects.exists() and shown_token(html) is None


def test_revoking_asks_first_and_another_users_token_answers_404(signed_in, make_user):
    signed_in.post("/profile/tokens/", {"name": "ci"})
    token = ApiToken.objects.get()
    confirm = signed_in.get(f"/profile/tokens/{token.pk}/revoke/")
    assert confirm.status_code == 200 and "stops working at once" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # asking revokes nothing

    mallory = Client()
    mallory.force_login(make_user("mallory@example.com"))
    assert mallory.get(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    assert mallory.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None

    answer = signed_in.post(f"/profile/tokens/{token.pk}/revoke/", follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None and "revoked: it no longer works" in answer.content.decode()
    again = signed_in.get(f"/profile/tokens/{token.pk}/revoke/", follow=True).content.decode()
    assert "already revoked" in again
