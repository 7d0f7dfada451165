"""Errors raised by the Bitbucket client, worded for the person who will read them."""
from __future__ import annotations


class BitbucketError(Exception):
    """Bitbucket did not give us what we asked for."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class BitbucketAuthError(BitbucketError):
    """The credentials no longer work (expired beyond refresh, revoked, wrong): reconnect."""


class BitbucketPermissionError(BitbucketError):
    """Authenticated, but not allowed: usually a missing scope, named in the message."""


class BitbucketNotFound(BitbucketError):
    """The thing is gone or we may not see it."""


class BitbucketRateLimited(BitbucketError):
    """Bitbucket kept answering 429 after our back-off."""


class BitbucketUnavailable(BitbucketError):
    """5xx answers, time-outs or a broken connection after every retry."""
