"""The Repositories page in Chromium: the workspace filter lives in the address, so a reload, Back or a
shared link keeps it, and sorting keeps it too."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import connect_and_link_acme, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_workspace_filter_is_kept_in_the_address_across_reload_sorting_and_back(page, bitbucket):
    sign_up(page, "filter@example.com")
    connect_and_link_acme(page)
    page.locator('tr[data-workspace="globex"]').get_by_role("checkbox").check()
    page.get_by_role("button", name="Link").click()
    expect(page.locator('tr[data-workspace="globex"]').get_by_text("Active", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Repositories").click()
    rows = page.locator("tr[data-repository]")
    expect(rows.filter(has_text="Acme Corp").first).to_be_visible()

    page.get_by_label("Workspace").select_option("globex")
    expect(page).to_have_url(re.compile(r"[?&]workspace=globex"))
    expect(rows.filter(has_text="Acme Corp")).to_have_count(0)
    page.reload()
    expect(page.get_by_label("Workspace")).to_have_value("globex")
    expect(rows.filter(has_text="Acme Corp")).to_have_count(0)
    expect(rows.first).to_be_visible()

    page.get_by_role("link", name="Repository", exact=True).click()  # sort by name
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(page).to_have_url(re.compile(r"workspace=globex"))
    expect(page.get_by_label("Workspace")).to_have_value("globex")
    page.go_back()
    expect(page).to_have_url(re.compile(r"workspace=globex"))
    expect(page.get_by_label("Workspace")).to_have_value("globex")
