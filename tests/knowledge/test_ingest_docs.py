"""README and docs pages render to HTML that keeps formatting and loses anything executable."""
from __future__ import annotations

import pytest

from knowledge.ingest.docs import doc_kind, readme_rank, render_doc, render_markdown


@pytest.mark.parametrize("path, kind", [
    ("README.md", "readme"), ("readme", "readme"), ("README.rst", "readme"), ("api/README.markdown", "readme"),
    ("docs/guide/setup.md", "doc"), ("doc/index.rst", "doc"), ("docs/conf.py", None),
    ("src/readme.go", None), ("CHANGELOG.md", None),
])
def test_doc_kind(path, kind):
    assert doc_kind(path) == kind


def test_the_shallowest_markdown_readme_is_the_overview():
    paths = ["docs/README.md", "README.rst", "README.md", "api/README.md"]
    assert sorted(paths, key=readme_rank)[0] == "README.md"


def test_markdown_formatting_survives():
    html, title = render_markdown("# Strata `v1`\n\n*Knowledge* layers.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n")
    assert title == "Strata v1"
    assert "<h1>Strata <code>v1</code></h1>" in html
    assert "<em>Knowledge</em>" in html
    assert "<td>1</td>" in html
    assert "<s>old</s>" in html


@pytest.mark.parametrize("attack", [
    "<script>alert(1)</script>",
    '<img src="x.png" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<div style="position:fixed;inset:0" onclick="steal()">overlay</div>',
    '<svg><script>alert(1)</script></svg>',
    '<form action="https://evil.example"><input name="password"></form>',
    "<a href='data:text/html,<script>alert(1)</script>'>x</a>",
])
def test_nothing_executable_survives(attack):
    html, _ = render_markdown(f"Hello\n\n{attack}\n")
    lowered = html.lower()
    # Text such as "[click](javascript:…)" may remain as words; it must never become markup.
    for needle in ("<script", "onerror=", "onclick=", '="javascript:', "<iframe", "style=", "<form", "<input", '="data:'):
        assert needle not in lowered, html


def test_raw_html_that_readmes_use_is_kept_safely():
    html, _ = render_markdown('<p align="center"><b>Bold</b></p>\n\n<details><summary>More</summary>Hidden</details>\n')
    assert "<b>Bold</b>" in html
    assert "<details><summary>More</summary>Hidden</details>" in html


def test_raw_html_images_keep_their_alt_text_and_load_nothing():
    html, _ = render_markdown('<p align="center"><img src="https://tracker.example.net/p.gif?u=1" alt="Logo"></p>\n')
    assert "tracker.example.net" not in html and 'alt="Logo"' in html


def test_links_external_kept_relative_resolved_or_dropped():
    text = ("[site](https://example.org) [guide](setup.md#install) [up](../../../etc/passwd) [top](#intro) ![logo](../logo.png)"
            " ![badge](https://img.example.org/b.svg)")
    html, _ = render_markdown(text, base_path="docs/index.md", resolve_link=lambda path: f"/files/{path}")
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">site</a>' in html
    assert 'href="/files/docs/setup.md#install"' in html
    assert "logo.png" not in html and 'alt="logo"' in html  # a relative image's bytes are not kept
    # A remote image is never loaded by the reader's browser (it would track them): a link to it.
    assert "<img" not in html.replace('<img alt="logo"', "")
    assert '<a href="https://img.example.org/b.svg" rel="noopener noreferrer nofollow">[image: badge]</a>' in html
    assert 'href="#intro"' in html
    assert "etc/passwd" not in html

    unresolved, _ = render_markdown(text, base_path="docs/index.md")
    assert "setup.md" not in unresolved and "logo.png" not in unresolved
    assert 'href="https://example.org"' in unresolved


def test_render_doc_titles_and_non_markdown():
    page = render_doc("docs/install.md", b"Intro text\n\n## Install\n")
    assert (page.kind, page.title) == ("doc", "Install")
    untitled = render_doc("README.md", b"just text")
    assert (untitled.kind, untitled.title) == ("readme", "README.md")
    rst = render_doc("README.rst", b"Strata\n======\n\n<script>x</script>\n")
    assert rst.title == "Strata"
    assert rst.html == "<pre>Strata\n======\n\n&lt;script&gt;x&lt;/script&gt;\n</pre>"


def test_restructuredtext_titles_skip_adornments_labels_and_fields():
    # As Django's docs/*.txt begin: a label, an overlined title, a field list.
    page = render_doc("docs/ref/csrf.txt", b".. _using-csrf:\n\n=====================================\nCross Site Request Forgery protection\n=====================================\n")
    assert page.title == "Cross Site Request Forgery protection"
    assert render_doc("docs/index.rst", b":orphan:\n\n.. toctree::\n\n*******\nTopics\n*******\n").title == "Topics"
    assert render_doc("docs/empty.txt", b"=====\n\n.. comment\n").title == "empty.txt"
