"""Search on real layers built from the sandbox, as a person meets it on the Search page: results
grouped by file with context lines, filters and syntax, honest counts and pages that never repeat."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs

import pytest

from knowledge.search import results as search_results_module
from tests.knowledge.search_data import LONG_LINE, MANY, build_search_layers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def layers(signed_in, acme, bitbucket):
    return build_search_layers(signed_in, bitbucket)


def page(client, **params) -> str:
    answer = client.get("/search/", params)
    assert answer.status_code == 200
    return answer.content.decode()


def result_paths(html: str) -> list[str]:
    """The `path:line` (or path) of every result on the page, in order, marks removed."""
    return [re.sub(r"</?mark>", "", unescape(m)) for m in re.findall(r'class="result-path" href="[^"]*">(.*?)</a>', html)]


def heading(html: str) -> str:
    return unescape(re.search(r'<h2 class="search-heading">(.*?)</h2>', html).group(1))


def test_a_content_result_shows_its_matching_lines_with_context_line_numbers_and_marks(signed_in, layers):
    html = page(signed_in, q="Return where")
    search = layers["acme/search"]
    assert result_paths(html) == ["src/alpha.py:5"]
    assert heading(html) == "Content: files 1–1 of 1"
    for number in (4, 5, 6):  # the match and a line either side, each linked to its line
        assert f'href="/knowledge/layers/{search.pk}/files/src/alpha.py#L{number}">{number}</a>' in html
    assert '<pre>    &quot;&quot;&quot;<mark>Return</mark> <mark>where</mark> the needle is.&quot;&quot;&quot;</pre>' in html
    assert "1 matching line" in html


def test_text_from_files_is_escaped_and_only_the_match_is_marked(signed_in, layers):
    html = page(signed_in, q="needle", kind="content")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;<mark>needle</mark>&#x27;)&lt;/script&gt; &amp;amp; <mark>needle</mark>" in html
    assert "vendoredneedle" not in html  # vendored files are kept for the file view, not searched


def test_a_long_line_is_cut_around_its_match(signed_in, layers):
    html = page(signed_in, q="aaaneedlebbb")
    row = re.search(r"<pre>(…a+<mark>aaaneedlebbb</mark>b+…)</pre>", html)
    assert row and len(row.group(1)) - len("<mark></mark>") <= 242 and len(LONG_LINE) > 800


def test_all_kinds_show_symbols_and_paths_above_the_content(signed_in, layers):
    html = page(signed_in, q="alpha")
    assert 'aria-label="Paths"' in html and "src/<mark>alpha</mark>.py" in html
    html = page(signed_in, q="find_needle")
    symbols = html[html.index('aria-label="Symbols"'):html.index('aria-label="Results"')]
    assert "src/alpha.py:4" in symbols and "def <mark>find_needle</mark>(haystack):" in symbols
    assert '<span class="badge">function</span>' in symbols


def test_every_word_must_be_on_one_line_and_a_phrase_is_kept_whole(signed_in, layers):
    from knowledge.search import Scope, parse, search_results

    user = layers["acme/search"].repository.workspace.connection.user
    both = search_results(user=user, scope=Scope(parse("foo bar"), kind="content")).results
    assert [(r.path, r.line, r.matching_lines) for r in both] == [("src/alpha.py", 13, 2)]  # not "foo = 1", "bar = 2"
    phrase = search_results(user=user, scope=Scope(parse('"foo bar"'), kind="content")).results
    assert [(r.path, r.line, r.matching_lines) for r in phrase] == [("src/alpha.py", 13, 1)]


def test_case_yes_matches_letter_case_exactly(signed_in, layers):
    insensitive = result_paths(page(signed_in, q="needlecase", kind="content"))
    assert insensitive == ["src/alpha.py:9"]
    assert result_paths(page(signed_in, q="needlecase case:yes", kind="content")) == []
    assert result_paths(page(signed_in, q="NeedleCase case:yes", kind="content")) == ["src/alpha.py:9"]


def test_filters_as_syntax_and_as_form_controls(signed_in, layers):
    assert result_paths(page(signed_in, q="needle lang:js", kind="content")) == ["src/beta.js:1"]
    assert result_paths(page(signed_in, q="needle", lang="JavaScript", kind="content")) == ["src/beta.js:1"]
    disagreeing = page(signed_in, q="needle lang:py", lang="JavaScript")  # both apply: nothing is in both languages
    assert result_paths(disagreeing) == [] and heading(disagreeing) == "No content matches"
    assert "docs/guide.md:3" in result_paths(page(signed_in, q="needle", kind="content"))
    assert "docs/guide.md:3" not in result_paths(page(signed_in, q="needle path:src/", kind="content"))
    assert result_paths(page(signed_in, q="create_app repo:acme/api", kind="content")) == ["acme/app.py:4", "docs/usage.md:3"]
    assert result_paths(page(signed_in, q="create_app", repo="acme/search")) == []
    html = page(signed_in, q="needle", repo="acme/search", lang="JavaScript", kind="symbol")
    assert '<option value="acme/search" selected>' in html and '<option value="JavaScript" selected>' in html
    assert '<option value="symbol" selected>' in html and result_paths(html) == ["src/beta.js:1"]
    html = page(signed_in, q="sym:needle")  # sym: alone: only definitions
    assert result_paths(html) == ["src/beta.js:1", "src/alpha.py:9", "src/alpha.py:4"]  # starts with it, shortest first
    assert 'data-kind="content"' not in html


def test_no_match_is_said_in_words_not_as_zero_of_zero(signed_in, layers):
    assert heading(page(signed_in, q="nowhere_to_be_found")) == "No content matches"
    assert heading(page(signed_in, q="nowhere_to_be_found", kind="symbol")) == "No symbols match"
    assert heading(page(signed_in, q="nowhere_to_be_found", kind="path")) == "No paths match"
    html = page(signed_in, q="m07")  # a path matches, no line of content does
    assert "many/m07.py" in html and heading(html) == "No content matches"


def test_counts_are_true_and_pages_never_repeat(signed_in, layers):
    seen, url, pages = [], "/search/?q=COMMON_TOKEN&kind=content", []
    while url:
        html = signed_in.get(url).content.decode()
        pages.append(heading(html))
        seen += result_paths(html)
        found = re.search(r'<a class="button primary" href="([^"]+)" rel="next">More results</a>', html)
        url = "/search/" + unescape(found.group(1)) if found else ""
    assert pages == [f"Content: files 1–20 of {MANY}", f"Content: files 21–40 of {MANY}", f"Content: files 41–{MANY} of {MANY}"]
    assert len(seen) == len(set(seen)) == MANY
    assert {p.split(":")[0] for p in seen} == {f"many/m{n:02}.py" for n in range(MANY)}


def test_the_all_kinds_view_continues_with_content(signed_in, layers):
    html = page(signed_in, q="COMMON_TOKEN")
    assert heading(html) == f"Content: files 1–20 of {MANY}"
    more = unescape(re.search(r'href="([^"]+)" rel="next">More results', html).group(1))
    assert "kind=content" in more and heading(signed_in.get("/search/" + more).content.decode()) == f"Content: files 21–40 of {MANY}"


def test_a_count_past_its_bound_says_so_instead_of_a_wrong_number(signed_in, layers, monkeypatch):
    monkeypatch.setattr(search_results_module, "COUNT_CAP", 10)
    monkeypatch.setattr(search_results_module, "COUNT_CHUNKS", 10)
    html = page(signed_in, q="many/m", kind="path")
    assert heading(html) == "Paths: files 1–20 of more than 10" and len(result_paths(html)) == 20
    html = page(signed_in, q="COMMON_TOKEN", kind="content")
    floor = int(re.search(r"of at least (\d+)$", heading(html)).group(1))
    assert 1 <= floor <= MANY and len(result_paths(html)) == 20


def test_mistakes_in_the_query_read_as_messages(signed_in, layers):
    for q, says in [("foo:bar", "Unknown filter foo:"), ('"open', "A quote is not closed"), ("lang:klingonese x", "No language"),
                    ("case:maybe x", "case: takes yes or no"), ("repo:acme", "Add words to search for"),
                    ("x" * 5000, "keep it within 200"),
                    ("repo:nosuch x", "repo:nosuch matches none of your knowledge layers (yours: acme/api, acme/search)")]:
        html = page(signed_in, q=q)
        assert 'role="alert"' in html and says in unescape(html), q
    assert "Choose a kind" in unescape(page(signed_in, q="x", kind="everything"))
    assert "No knowledge layer of yours is called acme/nope" in page(signed_in, q="x", repo="acme/nope")
    assert "No language is called" in unescape(page(signed_in, q="x", lang="klingonese"))


def test_a_cursor_from_elsewhere_starts_again_and_says_why(signed_in, layers):
    html = page(signed_in, q="COMMON_TOKEN", kind="content", cursor="not-a-cursor")
    assert "This cursor is not one Strata gave out" in html and heading(html) == f"Content: files 1–20 of {MANY}"
    more = unescape(re.search(r'href="\?([^"]+)" rel="next"', html).group(1))
    cursor = parse_qs(more)["cursor"][0]
    html = page(signed_in, q="needle", kind="content", cursor=cursor)
    assert "This cursor belongs to another query" in html


def test_odd_input_never_breaks_the_page(signed_in, layers):
    for q in ["\x00needle", "%_", "'; DROP TABLE x; --", "İİ", "a\x00", "\\", '"\\"', "(?=x)", ".*", "[", "\n\n"]:
        assert signed_in.get("/search/", {"q": q}).status_code == 200, q
    assert "<mark>needle</mark>" in page(signed_in, q="\x00needle")


def test_search_covers_only_the_users_own_layers(signed_in, layers, client, make_user):
    client.force_login(make_user("eve@example.com"))
    html = client.get("/search/", {"q": "needle"}).content.decode()
    assert "alpha.py" not in html and "Search covers your Active knowledge layers" in html


def test_reading_a_few_files_finds_exactly_what_the_index_finds(signed_in, layers):
    from knowledge.search import Scope, layers_in_scope, parse
    from knowledge.search.results import count, listing

    user = layers["acme/search"].repository.workspace.connection.user
    for text in ["needle", "foo bar", '"foo bar"', "NeedleCase case:yes", "COMMON_TOKEN path:many/", "needle lang:python"]:
        scope = Scope(parse(text), kind="content")
        serving = layers_in_scope(user=user, scope=scope)
        found = [(count("content", scope, serving, indexed=indexed),
                  [(r.path, r.line, r.matching_lines) for r in listing("content", scope, serving, after=None, limit=50,
                                                                        indexed=indexed).results])
                 for indexed in (True, False)]
        assert found[0] == found[1] and found[0][1], text
