"""Create a layer with a real django-q2 cluster, watch it reach Active, search, open the line."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import connect_and_link_acme, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_a_layer_watch_it_become_active_then_search_and_open_the_line(page, bitbucket, broker, request):
    sign_up(page, "layers@example.com")
    connect_and_link_acme(page)
    nav = page.get_by_role("navigation", name="Main")

    request.getfixturevalue("cluster")  # from here on a separate worker process runs the jobs
    nav.get_by_role("link", name="Repositories").click()
    row = page.locator('tr[data-repository="acme/api"]')
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Create Knowledge Layer").click()
    expect(page.get_by_text("Queued 1 knowledge layer")).to_be_visible()
    # The row updates itself (htmx) through Queued / Syncing until the worker has built the layer.
    expect(page.locator('tr[data-repository="acme/api"] .layer-status')).to_have_attribute("data-status", "active", timeout=60_000)
    expect(page.locator('tr[data-repository="acme/api"]').get_by_text("Active", exact=True)).to_be_visible()

    nav.get_by_role("link", name="Search").click()
    page.get_by_role("searchbox", name="Search").fill("create_app")
    page.get_by_role("button", name="Search").click()
    result = page.get_by_role("link", name="acme/app.py:4").first
    expect(result).to_be_visible()
    expect(page.locator("mark", has_text="create_app").first).to_be_visible()
    result.click()
    assert page.url.endswith("/files/acme/app.py#L4")
    expect(page.locator("tr#L4")).to_contain_text("def create_app")
