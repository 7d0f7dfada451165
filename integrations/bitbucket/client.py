"""The one Bitbucket HTTP client: auth, token refresh, retries with back-off, pagination.

It knows no endpoint: the paths live in `integrations.bitbucket.endpoints`.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from django.conf import settings

from integrations.bitbucket.errors import (
    BitbucketAuthError,
    BitbucketError,
    BitbucketNotFound,
    BitbucketPermissionError,
    BitbucketRateLimited,
    BitbucketUnavailable,
)

log = logging.getLogger("bitbucket.client")

MAX_PAGELEN = 100


class Credentials(Protocol):
    """What the client needs from whoever holds the secrets."""

    def headers(self) -> dict[str, str]: ...

    def needs_refresh(self) -> bool: ...

    def refresh(self) -> bool:
        """Get fresh credentials after a 401 or before expiry; False when that is impossible."""
        ...


class _FixedCredentials:
    """Credentials that never change: nothing to refresh, a 401 is final."""

    _auth = ""

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._auth}

    def needs_refresh(self) -> bool:
        return False

    def refresh(self) -> bool:
        return False


class BasicCredentials(_FixedCredentials):
    """An Atlassian account e-mail and API token (HTTP Basic; Bearer does not work for them)."""

    def __init__(self, email: str, token: str):
        self._auth = requests.auth._basic_auth_str(email, token)


class BearerCredentials(_FixedCredentials):
    """An OAuth access token just handed over by the token endpoint (sign-in, connect): used as
    is; a stored connection's tokens go through `services.credentials`, which refreshes them."""

    def __init__(self, access_token: str):
        self._auth = f"Bearer {access_token}"


def error_message(response: requests.Response) -> str:
    """Bitbucket's own words from its error envelope, or the status line."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            detail = error.get("detail")
            return f"{error['message']}" + (f" ({detail})" if isinstance(detail, str) and detail else "")
        if isinstance(error, str):
            return body.get("error_description") or error
    return f"HTTP {response.status_code}"


def clean_json(value: Any) -> Any:
    """`value` with every string fit for any database: NUL removed, lone surrogates (which JSON
    escapes can carry) replaced. What Bitbucket stores is other people's text."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {clean_json(key): clean_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    return value


def json_of(response: requests.Response) -> Any:
    try:
        return clean_json(response.json())
    except (ValueError, RecursionError) as exc:
        raise BitbucketError(f"Bitbucket answered {response.request.method} {urlsplit(response.url).path} "
                             "with something that is not JSON", status=response.status_code) from exc


class BitbucketClient:
    """Every request Strata makes to Bitbucket goes through one of these.

    Transient failures (429, 5xx, time-outs, dropped connections) are retried with exponential
    back-off and jitter; a 401 triggers one credential refresh; anything else becomes a
    `BitbucketError` subclass whose message a person can read.
    """

    def __init__(self, credentials: Credentials, *, session: requests.Session | None = None):
        self.credentials = credentials
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = "Strata/1.0"
        self.api_url = settings.BITBUCKET_API_URL
        self.web_url = settings.BITBUCKET_WEB_URL
        self.timeout = settings.BITBUCKET_TIMEOUT
        self.max_attempts = settings.BITBUCKET_MAX_ATTEMPTS
        self.backoff = settings.BITBUCKET_BACKOFF

    # -- public API -------------------------------------------------------------------------
    def get(self, path: str, params: dict[str, Any] | None = None) -> dict:
        return json_of(self.request("GET", path, params=params))

    def post(self, path: str, json: dict) -> dict:
        return json_of(self.request("POST", path, json=json, expected=(200, 201)))

    def delete(self, path: str) -> None:
        self.request("DELETE", path, expected=(200, 204))

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict]:
        """Yield every value of a paginated listing, following `next` to the last page.

        Raises part-way if any page fails, so a caller that collects the values knows a listing
        it finished is complete.
        """
        url: str | None = path
        page_params: dict[str, Any] | None = {"pagelen": MAX_PAGELEN, **(params or {})}
        while url:
            body = json_of(self.request("GET", url, params=page_params))
            yield from body.get("values", [])
            url = body.get("next")
            page_params = None  # `next` carries every parameter already

    # -- machinery --------------------------------------------------------------------------
    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            # Never send our credentials anywhere but Bitbucket, whatever a `next` link says.
            origin = urlsplit(path_or_url)._replace(path="", query="", fragment="").geturl()
            if origin not in {self.api_url, self.web_url}:
                raise BitbucketError(f"Refusing to follow a link outside Bitbucket: {origin}")
            return path_or_url
        return f"{self.api_url}{path_or_url}"

    def _sleep(self, attempt: int, response: requests.Response | None) -> None:
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after and retry_after.isdigit():
            delay = min(float(retry_after), 60.0)
        else:
            delay = min(self.backoff * (2 ** (attempt - 1)), 30.0) * (1 + random.random() / 4)
        time.sleep(delay)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict | None = None,
        stream: bool = False,
        expected: tuple[int, ...] = (200,),
    ) -> requests.Response:
        url = self._url(path_or_url)
        # A POST that timed out or met a 5xx may have happened: repeating it could do it twice.
        # Only a 429 (refused before any work) is safe to repeat for it.
        idempotent = method in {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
        if self.credentials.needs_refresh():
            self.credentials.refresh()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(
                    method, url, params=params, json=json, stream=stream, timeout=self.timeout,
                    headers=self.credentials.headers(), allow_redirects=True,
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                log.warning("bitbucket.request.failed", extra={"method": method, "url": url, "attempt": attempt})
                if attempt >= self.max_attempts or not idempotent:
                    kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
                    raise BitbucketUnavailable(f"Bitbucket {kind} ({method} {urlsplit(url).path}) after {attempt} attempts.") from exc
                self._sleep(attempt, None)
                continue
            status = response.status_code
            if status in expected:
                return response
            if status == 401 and not refreshed:
                response.close()
                refreshed = True
                if self.credentials.refresh():
                    continue
                raise BitbucketAuthError(f"Bitbucket no longer accepts our credentials: {error_message(response)}", status=401)
            retryable = status == 429 or (idempotent and status in (500, 502, 503, 504))
            if retryable and attempt < self.max_attempts:
                response.close()
                log.warning("bitbucket.request.retry", extra={"status": status, "url": url, "attempt": attempt})
                self._sleep(attempt, response)
                continue
            raise self._error(method, url, response)

    @staticmethod
    def _error(method: str, url: str, response: requests.Response) -> BitbucketError:
        status = response.status_code
        message = error_message(response)
        where = f"{method} {urlsplit(url).path}"
        if status == 401:
            return BitbucketAuthError(f"Bitbucket no longer accepts our credentials: {message}", status=status)
        if status == 403:
            return BitbucketPermissionError(f"Bitbucket refused {where}: {message}", status=status)
        if status == 404:
            return BitbucketNotFound(f"Not found on Bitbucket: {where}", status=status)
        if status == 429:
            return BitbucketRateLimited("Bitbucket's rate limit was reached; try again later.", status=status)
        if status >= 500:
            return BitbucketUnavailable(f"Bitbucket answered {status} to {where}: {message}", status=status)
        return BitbucketError(f"Bitbucket answered {status} to {where}: {message}", status=status)
