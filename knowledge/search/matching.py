"""What "matches" means, said twice and kept in step: as database conditions (the search indexes
serve them) and in Python (to find the matching lines of a chunk and the offsets to mark).

A content match is a *line* holding every term; a path or a symbol name matches when it holds
every term. Terms are substrings, case-insensitive unless the query says case:yes.

PostgreSQL: each term is an ILIKE/LIKE that the pg_trgm indexes serve; with several terms a
newline-sensitive regex with one lookahead per term then checks that one line holds them all.
SQLite: the FTS5 trigram table narrows chunks (terms of 3+ characters), then Django's REGEXP
(Python's re, the same engine as the Python side) decides.

Where the rows are already few (the files of one page, or the few files path: leaves), the same
conditions are asked without the text index (`indexed=False`): the planner then reads those rows
instead of every chunk the index offers, which for a phrase of common words is thousands.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from django.db import connection
from django.db.models import F, Q
from django.db.models.lookups import Lookup

FTS_TABLE = "knowledge_contentchunk_fts"


class _Operator(Lookup):
    """`lhs <operator> rhs` with LIKE, ILIKE, ~ or ~*: the forms the pg_trgm indexes serve (Django's
    icontains would wrap both sides in UPPER() and miss the index); unindexed, the same test on
    `lhs || ''`, which no index serves."""

    lookup_name = "strata_operator"
    operator = "ILIKE"
    indexed = True

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if not self.indexed:
            lhs = f"({lhs} || '')"
        return f"{lhs} {self.operator} {rhs}", [*lhs_params, *rhs_params]


@functools.cache
def _operator(operator: str, indexed: bool) -> type[_Operator]:
    return type("Operator", (_Operator,), {"operator": operator, "indexed": indexed})


class _FtsMatch(Lookup):
    """`lhs` (a chunk id) is a row of the FTS5 trigram table that matches `rhs`."""

    lookup_name = "strata_fts"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {rhs})", [*lhs_params, *rhs_params]


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _postgres_regex_escape(term: str) -> str:
    """In PostgreSQL's regexes a backslash before an ASCII non-alphanumeric makes it literal; other
    characters (letters, digits, anything beyond ASCII) are literal as they are."""
    return "".join("\\" + c if c.isascii() and not c.isalnum() else c for c in term)


def _one_line_holds_all(terms: Sequence[str], *, case: bool) -> str:
    """A regex matching text in which one line holds every term (Python's re syntax)."""
    flags = "(?m)" if case else "(?im)"
    return flags + "^" + "".join(f"(?=.*?{re.escape(term)})" for term in terms)


def text_condition(field: str, terms: Sequence[str], *, case: bool, lines: bool = False, indexed: bool = True) -> Q:
    """`field` holds every term (on one line of it when `lines`), as a condition for filter()."""
    condition = Q()
    if connection.vendor == "postgresql":
        like = _operator("LIKE" if case else "ILIKE", indexed)
        for term in terms:
            condition &= Q(like(F(field), _like_pattern(term)))
        if lines and len(terms) > 1:
            pattern = "(?n)^" + "".join(f"(?=.*{_postgres_regex_escape(term)})" for term in terms)
            condition &= Q(_operator("~" if case else "~*", indexed)(F(field), pattern))
        return condition
    if indexed and field == "text" and (long_terms := [t for t in terms if len(t) >= 3]):
        # The trigram table only holds searchable chunks and finds nothing for shorter terms.
        phrase = " AND ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
        condition &= Q(_FtsMatch(F("id"), phrase))
    if lines:
        return condition & Q(**{f"{field}__regex": _one_line_holds_all(terms, case=case)})
    for term in terms:
        condition &= Q(**{f"{field}__regex": ("" if case else "(?i)") + re.escape(term)})
    return condition


class LineMatcher:
    """The Python side: which lines match, and where each term occurs in a piece of text."""

    def __init__(self, terms: Sequence[str], *, case: bool):
        flags = 0 if case else re.IGNORECASE
        self._each = [re.compile(re.escape(term), flags) for term in terms]

    def matches(self, line: str) -> bool:
        return bool(self._each) and all(pattern.search(line) for pattern in self._each)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """[start, end) of every occurrence of any term, in characters, overlapping ones merged."""
        found = sorted((m.start(), m.end()) for pattern in self._each for m in pattern.finditer(text) if m.end() > m.start())
        merged: list[list[int]] = []
        for start, end in found:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [(start, end) for start, end in merged]
