"""A signed body turned into a payload fit for storing, or refused with the reason.

The signature only says the body came from whoever holds the hook's secret; its content is still
other people's text. It must be one JSON object, nested no deeper than real payloads ever are
(Bitbucket's go about ten levels), with finite numbers (PostgreSQL's jsonb has no NaN or
infinity), and its strings are cleaned of what no database column takes (NUL, lone surrogates).
"""
from __future__ import annotations

import json
import math

from integrations.bitbucket.client import clean_json

MAX_DEPTH = 64


class PayloadRefused(ValueError):
    """The body cannot be stored as a payload; the message says why, for the sender."""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to infinity
        raise PayloadRefused("The body holds a number too large to store.")
    return value


def _depth_exceeds(value, limit: int) -> bool:
    """Whether `value` nests deeper than `limit`; iterative, so no depth can exhaust the stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def payload_from_body(body: bytes) -> dict:
    """The body as a JSON object fit for storing; PayloadRefused (a 400 for the sender) otherwise."""
    try:
        payload = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite)
    except PayloadRefused:
        raise
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser goes
        raise PayloadRefused("The body is not JSON.") from exc
    if not isinstance(payload, dict):
        raise PayloadRefused("The body is not a JSON object.")
    if _depth_exceeds(payload, MAX_DEPTH):
        raise PayloadRefused(f"The body is nested deeper than {MAX_DEPTH} levels.")
    return clean_json(payload)
