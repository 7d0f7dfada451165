"""The layer page in Chromium: a build watched live without a reload, a file opened at a line, deletion
after asking; and every page at phone width without sideways scrolling."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import connect_and_link_acme, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_FILE = "".join(f"def step_{n:03}():\n    return {n}\n\n" for n in range(100))  # step_083 is on line 250


def create_layer_of(page, full_name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Repositories").click()
    page.locator(f'tr[data-repository="{full_name}"]').get_by_role("checkbox").check()
    expect(page.get_by_text("1 selected")).to_be_visible()
    page.get_by_role("button", name="Create Knowledge Layer").click()
    expect(page.get_by_text("Queued 1 knowledge layer")).to_be_visible()


def test_watch_a_build_go_active_in_place_open_a_file_at_a_line_then_delete_the_layer(page, bitbucket, broker, request):
    from knowledge.models import Generation

    sign_up(page, "watcher@example.com")
    connect_and_link_acme(page)
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"acme/long.py": LONG_FILE}, "message": "A long file"})
    # The archive answers after 3 s, so the build is seen while it runs.
    bitbucket.control("POST", "/_sandbox/faults", json={"path": r"/get/.*\.tar\.gz", "delay_s": 3})
    request.getfixturevalue("cluster")  # from here on a separate worker process runs the jobs
    create_layer_of(page, "acme/api")

    page.locator('tr[data-repository="acme/api"]').get_by_role("link", name="Open").click()
    page.evaluate("window.stillTheSamePage = true")
    status = page.locator("#layer-status .layer-status")
    expect(status).to_have_attribute("data-status", re.compile("queued|syncing"))
    expect(page.get_by_text("The layer is being built")).to_be_visible()
    expect(status).to_have_attribute("data-status", "active", timeout=60_000)
    # The sections came in place once the status saw the end; the page itself was never reloaded.
    expect(page.get_by_role("navigation", name="Layer sections")).to_be_visible()
    expect(page.get_by_text("Languages", exact=True)).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.locator("#layer-status")).not_to_have_attribute("hx-trigger", re.compile("."))  # polling stopped

    page.get_by_role("link", name=re.compile(r"^Symbols")).click()
    page.get_by_role("searchbox", name="Filter symbols").fill("step_083")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="acme/long.py:250").click()
    expect(page).to_have_url(re.compile(r"/files/acme/long\.py#L250$"))
    line = page.locator("tr#L250")
    expect(line).to_contain_text("def step_083")
    expect(page.locator("tr:target")).to_have_attribute("id", "L250")  # marked, once the browser has gone to it
    viewport = page.viewport_size["height"]
    top = line.bounding_box()["y"]
    assert viewport * 0.15 < top < viewport * 0.6, top  # scrolled to, with lines above it in view
    expect(page.locator("tr#L240")).to_be_in_viewport()
    commit = Generation.objects.get().commit
    expect(page.get_by_role("link", name="Line 250 on Bitbucket")).to_have_attribute(
        "href", f"{bitbucket.url}/acme/api/src/{commit}/acme/long.py#lines-250")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("link", name="acme/api").click()
    page.get_by_role("link", name="Delete layer").click()
    expect(page.get_by_role("heading", name="Delete the knowledge layer of acme/api?")).to_be_visible()
    page.get_by_role("button", name="Delete layer").click()
    expect(page.get_by_text("Deleting the knowledge layer of acme/api")).to_be_visible()
    expect(page.locator('tr[data-repository="acme/api"]')).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Repositories").click()
    # The row says Deleting… until the worker has removed the layer, then has none.
    expect(page.locator('tr[data-repository="acme/api"] .layer-status')).to_have_count(0, timeout=60_000)


# A rendered README must not widen the page: a wide table, a long word, a long code line.
WIDE_README = ("# Wide\n\n| name | value |\n| --- | --- |\n| cell | " + "x" * 320 + " |\n\n"
               + "y" * 300 + "\n\n    " + "z = 1; " * 100 + "\n")
PAGES = [
    "/knowledge/", "/knowledge/layers/{layer}/", "/knowledge/layers/{layer}/?tab=files",
    "/knowledge/layers/{layer}/?tab=symbols", "/knowledge/layers/{layer}/?tab=dependencies",
    "/knowledge/layers/{layer}/?tab=docs", "/knowledge/layers/{layer}/files/acme/wide.js",
    "/knowledge/layers/{layer}/files/README.md",
    "/knowledge/layers/{layer}/delete/", "/knowledge/repositories/", "/integrations/bitbucket/workspaces/",
    "/integrations/", "/profile/", "/profile/tokens/{token}/revoke/", "/integrations/bitbucket/disconnect/",
]


def test_every_page_fits_a_phone_and_the_menu_folds(page, bitbucket):
    from knowledge.models import ApiToken, KnowledgeLayer

    sign_up(page, "phone@example.com")
    connect_and_link_acme(page)
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits", json={
        "branch": "main", "message": "Wide", "files": {"acme/wide.js": "var " + "a=1;" * 2000 + "\n", "README.md": WIDE_README}})
    create_layer_of(page, "acme/api")  # jobs run in the server here: it is built already
    page.goto("/profile/")
    page.get_by_label("Token name").fill("phone")
    page.get_by_role("button", name="Create token").click()
    ids = {"layer": KnowledgeLayer.objects.get().pk, "token": ApiToken.objects.get().pk}

    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        for path in PAGES:
            page.goto(path.format(**ids))
            expect(page.locator("main h1").first).to_be_visible()
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, (path, width, wide)

    menu = page.get_by_role("button", name="Menu")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Repositories")
    expect(nav_link).to_be_hidden()
    menu.click()
    expect(nav_link).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
