"""Bitbucket's paginated listings: `page`/`pagelen` envelopes with absolute `next` links, `q` and `sort`.

`q` is a subset of BBQL: comparisons `field op value` (op: = != ~ !~ > >= < <=; value: "string",
number, true, false, null) joined by `and`/`or`, with parentheses. Fields are dotted paths into
the JSON objects of the listing (`name`, `project.key`, `workspace.slug`, `mainbranch.name`).
"""
from __future__ import annotations

import re
from typing import Any, Callable

from sandbox.web import HttpError, Request

Predicate = Callable[[dict], bool]
TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<op>!=|>=|<=|!~|=|~|>|<)'
                   r'|(?P<paren>[()])|(?P<word>[A-Za-z0-9_.:\-+{}]+))')


def page(request: Request, items: list[Any], *, default: int = 10, maximum: int = 100) -> dict:
    """One page of `items` in Bitbucket's envelope; asking for more than `maximum` gets `maximum`."""
    try:
        pagelen = int(request.arg("pagelen", str(default)))
        number = int(request.arg("page", "1"))
    except ValueError:
        raise HttpError(400, "pagelen and page must be integers.") from None
    if pagelen < 1 or number < 1:
        raise HttpError(400, "pagelen and page must be positive.")
    pagelen = min(pagelen, maximum)
    start = (number - 1) * pagelen
    envelope: dict[str, Any] = {"pagelen": pagelen, "size": len(items), "page": number,
                                "values": items[start:start + pagelen]}
    if start + pagelen < len(items):
        envelope["next"] = _page_url(request, number + 1)
    if number > 1:
        envelope["previous"] = _page_url(request, number - 1)
    return envelope


def _page_url(request: Request, number: int) -> str:
    params = [(k, v) for k, values in request.query.items() for v in values if k != "page"]
    return request.url(request.path, params + [("page", str(number))])


def resolve(obj: Any, field: str) -> Any:
    for part in field.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _has_field(obj: Any, field: str) -> bool:
    for part in field.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return False
        obj = obj[part]
    return True


def refine(request: Request, items: list[dict]) -> list[dict]:
    """Apply the request's `q` and `sort` to JSON objects."""
    query = request.arg("q")
    if query:
        parser = _Parser(query)
        predicate = parser.parse()
        for field in parser.fields:
            if items and not any(_has_field(item, field) for item in items):
                raise HttpError(400, f"Invalid field name: '{field}'", detail=query)
        items = [item for item in items if predicate(item)]
    order = request.arg("sort")
    if order:
        field = order.lstrip("-")
        if items and not any(_has_field(item, field) for item in items):
            raise HttpError(400, f"Invalid sort field: '{field}'")
        items = sorted(items, key=lambda item: _sort_key(resolve(item, field)),
                       reverse=order.startswith("-"))
    return items


def _sort_key(value: Any) -> tuple:
    if value is None:
        return (0, "")
    return (1, value.lower() if isinstance(value, str) else value)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            match = TOKEN.match(text, position)
            if not match or match.end() == position:
                if text[position:].strip() == "":
                    break
                self.fail(f"unexpected input at {position}")
            kind = match.lastgroup
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.position = 0
        self.fields: list[str] = []

    def fail(self, why: str):
        raise HttpError(400, f"Invalid query: {why}", detail=self.text)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            self.fail("unexpected end of query")
        self.position += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.expression()
        if self.peek() is not None:
            self.fail(f"unexpected {self.peek()[1]!r}")
        return predicate

    def expression(self) -> Predicate:
        left = self.conjunction()
        while self.peek() == ("word", "or"):
            self.take()
            left = _either(left, self.conjunction())
        return left

    def conjunction(self) -> Predicate:
        left = self.comparison()
        while self.peek() == ("word", "and"):
            self.take()
            left = _both(left, self.comparison())
        return left

    def comparison(self) -> Predicate:
        if self.peek() == ("paren", "("):
            self.take()
            inner = self.expression()
            if self.take() != ("paren", ")"):
                self.fail("missing )")
            return inner
        kind, field = self.take()
        if kind != "word":
            self.fail(f"expected a field name, got {field!r}")
        kind, op = self.take()
        if kind != "op":
            self.fail(f"expected an operator after {field}")
        value = self.value(self.take())
        self.fields.append(field)
        return lambda item: _compare(resolve(item, field), op, value)

    def value(self, token: tuple[str, str]) -> Any:
        kind, text = token
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind != "word":
            self.fail(f"expected a value, got {text!r}")
        literals = {"true": True, "false": False, "null": None}
        if text in literals:
            return literals[text]
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            return text


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda item: a(item) or b(item)


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda item: a(item) and b(item)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op in ("~", "!~"):
        found = isinstance(actual, str) and str(expected).lower() in actual.lower()
        return found if op == "~" else not found
    if op == "=":
        return actual == expected
    if op == "!=":
        return actual != expected
    if actual is None or expected is None:
        return False
    try:
        return {">": actual > expected, ">=": actual >= expected,
                "<": actual < expected, "<=": actual <= expected}[op]
    except TypeError:
        return False
