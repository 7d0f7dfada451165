"""A Playwright page in the system Chromium, against Django's live server."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support import CHROMIUM, require

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    # The live server is where Strata is served, so it is PUBLIC_URL (OAuth callbacks, hooks).
    settings.PUBLIC_URL = live_server.url
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    # A page that breaks our Content-Security-Policy (an inline script, a remote image) fails the
    # test that showed it, whatever else the test checks.
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert not violations, f"the page broke the Content-Security-Policy: {violations}"


def sign_up(page, email: str, password: str = "a-long-Passw0rd!") -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password:", exact=True).fill(password)
    page.get_by_label("Password (again):").fill(password)
    page.get_by_role("button", name="Sign Up").click()


def connect_and_link_acme(page) -> None:
    """Connect Bitbucket as alice on the sandbox's consent page and link her workspace acme."""
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Integrations").click()
    page.get_by_role("button", name="Connect Bitbucket").click()
    page.get_by_label("Bitbucket user").select_option("alice")
    page.get_by_role("button", name="Grant access").click()
    nav.get_by_role("link", name="Link Workspace").click()
    page.locator('tr[data-workspace="acme"]').get_by_role("checkbox").check()
    page.get_by_role("button", name="Link").click()
    expect(page.locator('tr[data-workspace="acme"]').get_by_text("Active", exact=True)).to_be_visible()
