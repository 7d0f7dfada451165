"""A person signs up, signs out, signs in again, and finds the sidebar."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDEBAR = ["Knowledge Layer", "Integrations", "Link Workspace", "Repositories", "Search"]


def test_sign_up_log_in_and_see_the_sidebar(page):
    sign_up(page, "grace@example.com")
    nav = page.get_by_role("navigation", name="Main")
    for item in SIDEBAR:
        expect(nav.get_by_role("link", name=item)).to_be_visible()
    expect(page.get_by_role("heading", name="Knowledge Layer")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.goto("/knowledge/")
    assert "/accounts/login/" in page.url

    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password:", exact=True).fill("a-long-Passw0rd!")
    page.get_by_role("button", name="Sign In").click()
    for item in SIDEBAR:
        expect(nav.get_by_role("link", name=item)).to_be_visible()
    nav.get_by_role("link", name="Integrations").click()
    expect(page.get_by_role("heading", name="Bitbucket")).to_be_visible()


def test_a_wrong_password_is_refused_with_a_message(page, make_user):
    make_user("linus@example.com")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("linus@example.com")
    page.get_by_label("Password:", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    assert page.get_by_role("navigation", name="Main").count() == 0
