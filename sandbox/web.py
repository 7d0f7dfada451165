"""Request and response values, and the error envelopes Bitbucket answers with."""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

JSON_TYPE = "application/json; charset=utf-8"


class HttpError(Exception):
    """Ends a request with Bitbucket's error envelope (or a raw body for the OAuth endpoints)."""

    def __init__(self, status: int, message: str, *, detail: Any = None, data: Any = None,
                 fields: dict | None = None, headers: dict | None = None, body: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail
        self.data = data
        self.fields = fields
        self.headers = headers or {}
        self.body = body

    def response(self) -> "Response":
        if self.body is not None:
            return Response.json(self.body, status=self.status, headers=self.headers)
        error: dict[str, Any] = {"message": self.message}
        if self.detail is not None:
            error["detail"] = self.detail
        if self.data is not None:
            error["data"] = self.data
        if self.fields is not None:
            error["fields"] = self.fields
        return Response.json({"type": "error", "error": error}, status=self.status, headers=self.headers)


@dataclass
class Request:
    method: str
    raw_path: str            # exactly as received, query included (faults match against it)
    path: str                # percent-decoded, no query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base: str                # scheme://host:port the client used; links are built from it

    @classmethod
    def build(cls, method: str, target: str, headers: dict[str, str], body: bytes, base: str) -> "Request":
        parts = urlsplit(target)
        return cls(
            method=method.upper(),
            raw_path=target,
            path=unquote(parts.path),
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
            base=base,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def args(self, name: str) -> list[str]:
        return list(self.query.get(name, []))

    def json_body(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            raise HttpError(400, "Request body is not valid JSON.") from None

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[-1] for key, values in parsed.items()}

    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def basic_auth(self) -> tuple[str, str] | None:
        """The (user, password) pair of an HTTP Basic header, or None."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None

    def url(self, path: str, params: Iterable[tuple[str, str]] = ()) -> str:
        """An absolute URL on the host the client used (so links work on any host:port)."""
        query = urlencode(list(params))
        quoted = quote(path, safe="/:@!$&'()*+,;=")
        return f"{self.base}{quoted}" + (f"?{query}" if query else "")


@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # Streamed bodies are written by this callable into a file-like writer (chunked encoding).
    stream: Callable[[Any], None] | None = None

    @classmethod
    def json(cls, value: Any, *, status: int = 200, headers: dict | None = None) -> "Response":
        return cls(status, {"Content-Type": JSON_TYPE, **(headers or {})},
                   json.dumps(value, indent=None).encode("utf-8"))

    @classmethod
    def html(cls, text: str, *, status: int = 200) -> "Response":
        return cls(status, {"Content-Type": "text/html; charset=utf-8"}, text.encode("utf-8"))

    @classmethod
    def redirect(cls, location: str, *, status: int = 302) -> "Response":
        return cls(status, {"Location": location}, b"")

    @classmethod
    def empty(cls, status: int = 204) -> "Response":
        return cls(status, {}, b"")
