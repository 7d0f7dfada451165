"""What people type into forms and query strings, made safe to hand to the database.

PostgreSQL text cannot hold NUL and its integers have a range: such input must read as "no
match" or "nothing chosen", never as a server error.
"""
from __future__ import annotations

from collections.abc import Iterable

MAX_TEXT = 200
_MAX_ID = 2**63 - 1


def text(value: str | None, *, limit: int = MAX_TEXT) -> str:
    """A free-text value without NUL, trimmed and at most `limit` characters."""
    return (value or "").replace("\x00", "").strip()[:limit]


def ids(values: Iterable[str]) -> list[int]:
    """The values that are database ids (plain decimal digits within range); others are ignored."""
    return [int(v) for v in values if v.isascii() and v.isdecimal() and 0 < int(v) <= _MAX_ID]


def fit(model, values: dict) -> dict:
    """`values` with every string cut to its model field's max_length (text from elsewhere, such
    as Bitbucket's, is not bound by our column sizes)."""
    fitted = {}
    for name, value in values.items():
        limit = model._meta.get_field(name).max_length
        fitted[name] = value[:limit] if isinstance(value, str) and limit else value
    return fitted
