"""The search box's syntax, read without a database: words, phrases, filters and clear mistakes."""
from __future__ import annotations

import pytest

from knowledge.search.syntax import MAX_QUERY, Query, QuerySyntaxError, parse


def test_words_and_phrases_are_terms_that_must_all_match():
    assert parse("create_app") == Query(terms=("create_app",))
    assert parse('  foo   "bar baz"  qux ') == Query(terms=("foo", "bar baz", "qux"))
    assert parse('"say \\"hi\\" \\\\ there"').terms == ('say "hi" \\ there',)
    assert parse("line\none").terms == ("line", "one")  # a newline separates, it is never part of a term


def test_a_quote_inside_a_word_is_code_not_a_phrase():
    assert parse('print("hello")').terms == ('print("hello")',)
    assert parse('x="a b"').terms == ('x="a', 'b"')
    assert parse('\\"quoted').terms == ('"quoted',)


def test_filters_combine_with_free_text():
    query = parse('repo:acme/api path:src/ lang:py sym:create case:yes "two words" more')
    assert query == Query(terms=("two words", "more", "create"), repos=("acme/api",), paths=("src/",), langs=("Python",),
                          symbols_only=True, case_sensitive=True)
    assert parse('path:"my dir/" needle').paths == ("my dir/",)
    assert parse("REPO:acme x").repos == ("acme",)  # filter names ignore case
    assert parse("repo:a repo:b lang:ts lang:typescript x") == Query(terms=("x",), repos=("a", "b"), langs=("TypeScript",))


@pytest.mark.parametrize("value, language", [("python", "Python"), ("py", "Python"), ("golang", "Go"), ("js", "JavaScript"),
                                             ("C++", "C++"), ("cs", "C#"), ("markdown", "Markdown"), ("bash", "Shell")])
def test_languages_are_named_as_people_name_them(value, language):
    assert parse(f"lang:{value} x").langs == (language,)


@pytest.mark.parametrize("text, case", [("x case:yes", True), ("x case:no", False), ("x", False), ("x case:YES", True),
                                        ("x case:yes case:no", False)])
def test_case_is_yes_or_no(text, case):
    assert parse(text).case_sensitive is case


@pytest.mark.parametrize("text", ["std::vector", "http://example.com/x", "TODO:", "a:", "::", "ns::fn()", "C:/x"])
def test_colons_in_code_are_text(text):
    assert parse(text).terms == (text,)


@pytest.mark.parametrize("text, says", [
    ("foo:bar", 'Unknown filter foo: (the filters are repo:, path:, lang:, sym:, case:). To search for the text itself, put it in quotes: "foo:bar".'),
    ('color:"red"', "Unknown filter color:"),
    ('"not closed', "A quote is not closed"),
    ('x "a \\"', "A quote is not closed"),
    ('""', 'An empty phrase "" finds nothing'),
    ("repo: x", "repo: needs a value, for example repo:acme/api."),
    ('path:"" x', "path: needs a value, for example path:src/."),
    ("lang:klingonese x", "No language is called 'klingonese'"),
    ("case:maybe x", "case: takes yes or no, not 'maybe'."),
    ("x" * (MAX_QUERY + 1), f"The query is {MAX_QUERY + 1} characters long; keep it within {MAX_QUERY}."),
])
def test_mistakes_are_told_in_words(text, says):
    with pytest.raises(QuerySyntaxError) as raised:
        parse(text)
    assert says in str(raised.value)


def test_filters_alone_leave_nothing_to_search_for():
    assert parse("repo:acme lang:python").empty
    assert not parse("sym:x").empty
