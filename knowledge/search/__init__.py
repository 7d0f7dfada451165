"""Search over a user's active layers: symbol names, paths and content, with a query syntax,
filters, plain-text excerpts with match offsets, honest counts and cursors for the next page.

syntax.py reads the query; matching.py says what matches (in SQL and in Python); results.py lists
and counts one kind; excerpts.py cuts the lines shown; paging.py puts a page together.
"""
from knowledge.search.paging import Overview, SearchPage, search_overview, search_results
from knowledge.search.results import (
    KINDS,
    Result,
    Scope,
    Total,
    active_generations,
    layers_in_scope,
    repositories_check,
)
from knowledge.search.syntax import MAX_QUERY, Query, QuerySyntaxError, parse

__all__ = [
    "KINDS", "MAX_QUERY", "Overview", "Query", "QuerySyntaxError", "Result", "Scope", "SearchPage", "Total",
    "active_generations", "layers_in_scope", "parse", "repositories_check", "search_overview", "search_results",
]
