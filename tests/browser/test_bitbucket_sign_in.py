"""Sign in with Bitbucket ("Continue with Bitbucket"), clicked through in Chromium: a new person signs
up with it, then comes back the same way."""
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from integrations.models import Connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_with_bitbucket(page, bitbucket_user: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Continue with Bitbucket").click()
    # On Bitbucket's consent page.
    page.get_by_label("Bitbucket user").select_option(bitbucket_user)
    page.get_by_role("button", name="Grant access").click()


def test_a_new_person_signs_up_with_bitbucket_and_comes_back_the_same_way(page, bitbucket, seed):
    alice = next(u for u in seed["users"] if u["nickname"] == "alice")
    sign_in_with_bitbucket(page, "alice")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Knowledge Layer")).to_be_visible()
    expect(page.get_by_text(f"your account ({alice['email']}) was made from Bitbucket")).to_be_visible()
    expect(nav.get_by_role("link", name=alice["email"])).to_be_visible()

    nav.get_by_role("link", name="Integrations").click()
    card = page.locator("#bitbucket-card")
    expect(card.get_by_text("Connected", exact=True)).to_be_visible()
    expect(card).to_contain_text("Alice Archer")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Continue with Bitbucket")).to_be_visible()
    sign_in_with_bitbucket(page, "alice")
    expect(nav.get_by_role("link", name=alice["email"])).to_be_visible()
    assert get_user_model().objects.count() == 1
    assert Connection.objects.get().status == Connection.Status.CONNECTED


def test_the_pages_own_buttons_keep_names_of_their_own(page, bitbucket):
    for path, own in (("/accounts/login/", "Sign In"), ("/accounts/signup/", "Sign Up")):
        page.goto(path)
        expect(page.get_by_role("button", name=own)).to_have_count(1)
        expect(page.get_by_role("button", name="Continue with Bitbucket")).to_have_count(1)


def test_an_address_that_has_an_account_is_told_to_sign_in_with_its_password(page, bitbucket, make_user, seed):
    alice = next(u for u in seed["users"] if u["nickname"] == "alice")
    make_user(alice["email"])
    sign_in_with_bitbucket(page, "alice")
    expect(page.get_by_text(f"A Strata account with {alice['email']} already exists.")).to_be_visible()
    expect(page.get_by_text("{%")).to_have_count(0)  # no template source leaks onto the page
    expect(page.get_by_text("{#")).to_have_count(0)
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    assert page.get_by_role("navigation", name="Main").count() == 0
    assert not Connection.objects.exists()
