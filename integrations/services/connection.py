"""Connecting Bitbucket (OAuth or API token) and disconnecting it for good."""
from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from integrations.bitbucket import endpoints
from integrations.bitbucket.client import BasicCredentials, BitbucketClient
from integrations.bitbucket.errors import BitbucketAuthError, BitbucketError, BitbucketPermissionError
from integrations.jobs import connection_disconnect_later
from integrations.models import Connection, Workspace
from integrations.services.workspaces import workspaces_refresh
from integrations.signals import connection_restored

log = logging.getLogger("bitbucket.connection")

# What an API token must carry for Strata to work, probed in this order on Connect.
API_TOKEN_USER_SCOPE = "read:user:bitbucket"
API_TOKEN_WORKSPACE_SCOPE = "read:workspace:bitbucket"
API_TOKEN_REPOSITORY_SCOPE = "read:repository:bitbucket"


class ConnectionRefused(Exception):
    """Connecting failed; the message says why in words a person understands."""


def _save_connection(*, user: AbstractBaseUser, profile: dict, **fields) -> Connection:
    """Create or replace the user's connection; a different Bitbucket account starts afresh."""
    with transaction.atomic():
        existing = Connection.objects.select_for_update().filter(user=user).first()
        if existing and existing.account_uuid and existing.account_uuid != profile.get("uuid"):
            raise ConnectionRefused(
                "This Strata account is connected to a different Bitbucket account. "
                "Disconnect Bitbucket first, then connect the other account."
            )
        if existing and existing.status == Connection.Status.DISCONNECTING:
            raise ConnectionRefused("Bitbucket is still being disconnected; try again in a moment.")
        restored = existing is not None and existing.status == Connection.Status.RECONNECT
        connection = existing or Connection(user=user)
        connection.account_uuid = profile.get("uuid", "")
        connection.account_id = profile.get("account_id", "")
        connection.nickname = profile.get("nickname", "") or profile.get("username", "") or ""
        connection.display_name = profile.get("display_name", "")
        connection.status = Connection.Status.CONNECTED
        connection.last_error = ""
        connection.token_version += 1
        for name, value in fields.items():
            setattr(connection, name, value)
        connection.save()
        workspaces_refresh(connection=connection)
        if restored:
            transaction.on_commit(lambda: connection_restored.send(sender=Connection, connection_id=connection.pk))
    log.info("bitbucket.connection.connected", extra={"connection": connection.pk, "method": connection.auth_method})
    return connection


def connection_connect_oauth(
    *, user: AbstractBaseUser, profile: dict, access_token: str, refresh_token: str,
    expires_at: datetime | None, scopes: str,
) -> Connection:
    """Store the tokens of a completed OAuth authorisation (called once allauth has them)."""
    return _save_connection(
        user=user, profile=profile, auth_method=Connection.AuthMethod.OAUTH, access_token=access_token,
        refresh_token=refresh_token, expires_at=expires_at, scopes=scopes, api_email="",
    )


def connection_connect_api_token(*, user: AbstractBaseUser, email: str, token: str) -> Connection:
    """Verify an Atlassian API token against Bitbucket, then (and only then) store it."""
    client = BitbucketClient(BasicCredentials(email, token))
    verified: list[str] = []
    try:
        profile = endpoints.current_user(client)
        verified.append(API_TOKEN_USER_SCOPE)
        accesses = list(endpoints.user_workspaces(client, first=1))
        verified.append(API_TOKEN_WORKSPACE_SCOPE)
        if accesses:
            list(endpoints.repositories(client, accesses[0]["workspace"]["slug"], first=1))
            verified.append(API_TOKEN_REPOSITORY_SCOPE)
    except BitbucketAuthError as exc:
        raise ConnectionRefused(
            "Bitbucket did not accept this e-mail and API token. Check both and try again."
        ) from exc
    except BitbucketPermissionError as exc:
        raise ConnectionRefused(f"The API token is missing a scope Strata needs. {exc.message}") from exc
    except BitbucketError as exc:
        raise ConnectionRefused(f"Bitbucket could not verify the token right now: {exc.message}") from exc
    return _save_connection(
        user=user, profile=profile, auth_method=Connection.AuthMethod.API_TOKEN, access_token=token,
        refresh_token="", expires_at=None, scopes=" ".join(verified), api_email=email,
    )


def connection_disconnect(*, connection: Connection) -> None:
    """Start permanent deletion of everything the connection owns; the job finishes it."""
    updated = Connection.objects.filter(pk=connection.pk).exclude(status=Connection.Status.DISCONNECTING).update(
        status=Connection.Status.DISCONNECTING, updated_at=timezone.now()
    )
    if updated:
        Workspace.objects.filter(connection=connection).update(status=Workspace.Status.DISCONNECTING, updated_at=timezone.now())
        connection_disconnect_later(connection_id=connection.pk)
