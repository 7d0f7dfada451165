"""The Search page in Chromium: a query with syntax, a filter, the next page, then the file at the line."""
import re

import pytest
from playwright.sync_api import expect

from tests.knowledge.search_data import MANY, build_search_layers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def searcher(page, signed_in, acme, bitbucket, live_server):
    """A browser signed in as the user whose layers (acme/api, acme/search) were built from the sandbox."""
    build_search_layers(signed_in, bitbucket)
    page.context.add_cookies([{"name": "sessionid", "value": signed_in.cookies["sessionid"].value, "url": live_server.url}])
    return page


def test_search_with_syntax_and_a_filter_then_page_on_and_open_a_line(searcher):
    page = searcher
    page.goto("/search/")
    page.get_by_role("searchbox", name="Search").fill("COMMON_TOKEN path:many/")
    page.get_by_label("Repository").select_option("acme/search")
    page.get_by_label("Kind").select_option("content")
    page.get_by_role("button", name="Search").click()
    heading = page.locator(".search-heading")
    expect(heading).to_have_text(f"Content: files 1–20 of {MANY}")
    first_page = page.locator(".result-path").all_inner_texts()
    assert len(first_page) == 20

    page.get_by_role("link", name="More results").click()
    expect(heading).to_have_text(f"Content: files 21–40 of {MANY}")
    second_page = page.locator(".result-path").all_inner_texts()
    assert len(second_page) == 20 and not set(first_page) & set(second_page)
    expect(page.get_by_label("Repository")).to_have_value("acme/search")  # the filter keeps its place

    result = page.locator(".result").first
    expect(result.locator("mark").first).to_have_text("COMMON_TOKEN")
    target = result.locator(".result-path").inner_text()  # "many/m20.py:3"
    result.locator("td.ln a", has_text=re.compile(r"^3$")).click()
    path = target.rsplit(":", 1)[0]
    assert page.url.endswith(f"/files/{path}#L3")
    expect(page.locator("tr#L3")).to_contain_text("COMMON_TOKEN")


def test_a_mistake_reads_as_a_message_and_a_long_query_keeps_the_layout(searcher):
    page = searcher
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/search/")
    page.get_by_role("searchbox", name="Search").fill("colour:blue")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text('Unknown filter colour:')
    page.get_by_role("searchbox", name="Search").fill("zz:" + "y" * 190)  # an error that repeats a long word
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("Unknown filter zz:")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    long_query = "needle " + "x" * 190
    page.get_by_role("searchbox", name="Search").fill(long_query)
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".search-heading")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.goto("/search/?q=aaaneedlebbb")  # a 800-character line wraps inside its result
    expect(page.locator(".result mark").first).to_have_text("aaaneedlebbb")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_excerpt_s_line_numbers_sit_on_the_lines_they_number_in_the_code_s_font(searcher):
    page = searcher
    page.goto("/search/?q=COMMON_TOKEN")
    rows = page.locator("table.excerpt tr")
    expect(rows.first).to_be_visible()
    for row in rows.all()[:4]:
        number, code = row.locator("td.ln a"), row.locator("td.src pre")
        style = "e => { const s = getComputedStyle(e); return [s.fontFamily, s.fontSize, s.lineHeight]; }"
        assert number.evaluate(style) == code.evaluate(style)
        # The same baseline: the first line of the code and its number start at the same height.
        assert abs(number.bounding_box()["y"] - code.bounding_box()["y"]) <= 1
