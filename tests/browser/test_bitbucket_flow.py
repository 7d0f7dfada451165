"""The core flow, clicked through in Chromium: connect, link, refresh, disconnect."""
import pytest
from playwright.sync_api import expect

from integrations.models import Repository, Workspace
from tests.browser.conftest import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def row(page, slug):
    return page.locator(f'tr[data-workspace="{slug}"]')


def test_connect_link_refresh_and_disconnect_a_workspace(page, bitbucket, seed):
    alice_ws = sorted(ws["slug"] for ws in seed["workspaces"] if "alice" in ws.get("members", {}))
    assert len(alice_ws) >= 3, "the test seed gives alice three workspaces"
    first, second, third = alice_ws[:3]
    sign_up(page, "flow@example.com")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    page.get_by_role("button", name="Connect Bitbucket").click()
    # On Bitbucket's consent page.
    page.get_by_label("Bitbucket user").select_option("alice")
    page.get_by_role("button", name="Grant access").click()
    card = page.locator("#bitbucket-card")
    expect(card.get_by_text("Connected", exact=True)).to_be_visible()
    expect(card).to_contain_text("repository")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Link Workspace").click()
    for slug in (first, second):
        row(page, slug).get_by_role("checkbox").check()
    page.get_by_role("button", name="Link").click()
    for slug in (first, second):
        expect(row(page, slug).get_by_text("Active", exact=True)).to_be_visible()
    expect(row(page, third).get_by_text("Inactive", exact=True)).to_be_visible()

    page.get_by_role("button", name="Refresh").click()
    expect(page.locator("[data-refresh-outcome]")).to_contain_text("3 workspaces, 0 new")  # what Refresh found
    expect(row(page, first).get_by_text("Active", exact=True)).to_be_visible()

    gone_names = list(Repository.objects.filter(workspace__slug=first).values_list("name", flat=True))
    assert gone_names
    row(page, first).get_by_role("link", name="Disconnect").click()
    expect(page.get_by_text("permanently deleted")).to_be_visible()
    page.get_by_role("button", name="Disconnect").click()
    expect(row(page, first).get_by_text("Inactive", exact=True)).to_be_visible()
    expect(row(page, second).get_by_text("Active", exact=True)).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Repositories").click()
    table = page.locator("#repository-rows")
    expect(table).to_be_visible()
    for name in gone_names:
        expect(table.locator(f'tr[data-repository$="/{name}"]')).to_have_count(0)
    assert not Repository.objects.filter(workspace__slug=first).exists()
    assert Workspace.objects.get(slug=first).status == Workspace.Status.INACTIVE
