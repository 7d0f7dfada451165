"""Opaque cursors for lists read a page at a time (the API's `next`, the Search page's "More results").

A cursor is signed, so a client cannot forge a position; it names its list and carries digests of
the question asked and of the data it was read from (the serving generations), so it is refused,
with a reason, when used for another list or query, or after a layer was rebuilt in between:
pages of one walk never repeat or skip an item.
"""
from __future__ import annotations

import hashlib
import json

from django.core import signing

SALT = "strata.cursor"


class BadCursor(ValueError):
    """A cursor that cannot be used; the message says why, for the client."""


def digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def cursor_dump(*, list_name: str, question: object, version: object, position: object) -> str:
    return signing.dumps({"l": list_name, "q": digest(question), "v": digest(version), "p": position}, salt=SALT, compress=True)


def cursor_load(token: str, *, list_name: str, question: object, version: object) -> object:
    """The position a cursor holds, or BadCursor."""
    try:
        data = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError, OverflowError) as exc:
        raise BadCursor("This cursor is not one Strata gave out: pass `next` exactly as it came.") from exc
    if not isinstance(data, dict) or data.get("l") != list_name:
        raise BadCursor("This cursor belongs to another list.")
    if data.get("q") != digest(question):
        raise BadCursor("This cursor belongs to another query: pass it with the same parameters as the page it came from.")
    if data.get("v") != digest(version):
        raise BadCursor("The layers changed since this cursor was made (one was rebuilt): start again without a cursor.")
    return data.get("p")
