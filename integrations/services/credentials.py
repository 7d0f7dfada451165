"""Credentials of a stored connection: decrypted on use, refreshed one at a time, saved at once."""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from integrations.bitbucket import oauth
from integrations.bitbucket.client import BasicCredentials, BitbucketClient
from integrations.bitbucket.errors import BitbucketAuthError
from integrations.models import Connection

log = logging.getLogger("bitbucket.tokens")


def connection_mark_reconnect(*, connection_id: int, reason: str) -> None:
    """The credentials are dead: keep every row, stop jobs, and ask the user to reconnect."""
    Connection.objects.filter(pk=connection_id, status=Connection.Status.CONNECTED).update(
        status=Connection.Status.RECONNECT, last_error=reason
    )
    log.warning("bitbucket.connection.reconnect-needed", extra={"connection": connection_id})


def connection_refresh_tokens(*, connection_id: int, seen_version: int) -> Connection:
    """Refresh the OAuth tokens unless another worker already did since `seen_version`.

    Bitbucket rotates refresh tokens, so two concurrent refreshes would kill the connection: the
    row lock (SELECT … FOR UPDATE on PostgreSQL, the write lock of an IMMEDIATE transaction on
    SQLite) makes the second worker wait and then reuse the first one's result.
    """
    failure: BitbucketAuthError | None = None
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        if connection.token_version != seen_version:
            return connection
        if connection.status == Connection.Status.RECONNECT or not connection.refresh_token:
            raise BitbucketAuthError("This Bitbucket connection needs to be reconnected.")
        try:
            tokens = oauth.refresh_access_token(connection.refresh_token)
        except BitbucketAuthError as exc:
            failure = exc
        else:
            connection.access_token = tokens.access_token
            connection.refresh_token = tokens.refresh_token
            connection.expires_at = tokens.expires_at
            if tokens.scopes:
                connection.scopes = tokens.scopes
            connection.token_version += 1
            connection.last_error = ""
            connection.save(update_fields=["access_token", "refresh_token", "expires_at", "scopes", "token_version", "last_error", "updated_at"])
            log.info("bitbucket.token.refreshed", extra={"connection": connection_id})
            return connection
    connection_mark_reconnect(connection_id=connection_id, reason=failure.message)
    raise failure


class ConnectionCredentials:
    """Credentials read from a Connection row, refreshed through `connection_refresh_tokens`."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def headers(self) -> dict[str, str]:
        c = self.connection
        # A disconnecting connection still removes our hooks; only a dead one is refused.
        if c.status == Connection.Status.RECONNECT:
            raise BitbucketAuthError("This Bitbucket connection needs to be reconnected.")
        if c.auth_method == Connection.AuthMethod.API_TOKEN:
            return BasicCredentials(c.api_email, c.access_token).headers()
        return {"Authorization": f"Bearer {c.access_token}"}

    def needs_refresh(self) -> bool:
        return self.connection.token_expires_within(settings.BITBUCKET_REFRESH_MARGIN)

    def refresh(self) -> bool:
        if self.connection.auth_method != Connection.AuthMethod.OAUTH:
            connection_mark_reconnect(connection_id=self.connection.pk, reason="Bitbucket refused the API token.")
            return False
        self.connection = connection_refresh_tokens(
            connection_id=self.connection.pk, seen_version=self.connection.token_version
        )
        return True


def client_for(connection: Connection) -> BitbucketClient:
    return BitbucketClient(ConnectionCredentials(connection))
