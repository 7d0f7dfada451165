"""Signing in with Bitbucket: the Strata account a Bitbucket identity opens, or a new one made from it.

The link between the two is our own `Connection` (keyed on the Bitbucket account uuid), not
allauth's SocialAccount/SocialToken rows: tokens live encrypted on the connection only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from core.users import email_taken, user_create
from integrations.models import Connection
from integrations.services.connection import ConnectionRefused, connection_connect_oauth

log = logging.getLogger("bitbucket.signin")

SIGN_IN_WITH_PASSWORD = "Sign in with your e-mail and password, then connect Bitbucket from Integrations."


class SignInRefused(Exception):
    """Bitbucket said who the person is, but Strata will not open an account for them; the
    message says why and what to do instead."""


@dataclass(frozen=True)
class OAuthGrant:
    """What the token endpoint handed over, as Connect Bitbucket stores it."""

    access_token: str
    refresh_token: str
    expires_at: datetime | None
    scopes: str


def _connect(*, user: AbstractBaseUser, profile: dict, grant: OAuthGrant) -> Connection:
    return connection_connect_oauth(
        user=user, profile=profile, access_token=grant.access_token, refresh_token=grant.refresh_token,
        expires_at=grant.expires_at, scopes=grant.scopes,
    )


def _returning(connection: Connection, *, profile: dict, grant: OAuthGrant) -> AbstractBaseUser:
    if connection.status == Connection.Status.DISCONNECTING:
        raise SignInRefused("Bitbucket is being disconnected from your Strata account. Sign in with your e-mail and password.")
    if connection.auth_method == Connection.AuthMethod.OAUTH:
        # Fresh tokens from this very authorisation: keep them (a connection waiting for
        # Reconnect works again). An API-token connection stays as the user made it.
        try:
            _connect(user=connection.user, profile=profile, grant=grant)
        except ConnectionRefused as exc:
            raise SignInRefused(str(exc)) from exc
    return connection.user


def _new_person(*, profile: dict, verified_email: str, grant: OAuthGrant, allow_signup: bool) -> AbstractBaseUser:
    if not allow_signup:
        raise SignInRefused(
            "No Strata account is connected to this Bitbucket account, and sign-up is closed here. "
            "Ask your Strata administrator for an account."
        )
    if not verified_email:
        raise SignInRefused(
            "Bitbucket lists no confirmed e-mail address for this account, so Strata cannot make an "
            "account from it. Confirm your e-mail address in Bitbucket and try again, or sign up with "
            "e-mail and password."
        )
    if email_taken(verified_email):
        raise SignInRefused(f"A Strata account with {verified_email} already exists. {SIGN_IN_WITH_PASSWORD}")
    try:
        with transaction.atomic():
            user = user_create(email=verified_email)
            _connect(user=user, profile=profile, grant=grant)
    except IntegrityError as exc:  # the same address signed up a moment ago
        raise SignInRefused(f"A Strata account with {verified_email} already exists. {SIGN_IN_WITH_PASSWORD}") from exc
    log.info("bitbucket.signin.signed-up", extra={"user": user.pk})
    return user


def user_sign_in_bitbucket(
    *, profile: dict, verified_email: str, grant: OAuthGrant, allow_signup: bool,
) -> tuple[AbstractBaseUser, bool]:
    """The user to sign in for this Bitbucket account, and whether they were just created.

    A connected account (matched by uuid) signs its owner in; anyone else gets a new account
    made from Bitbucket's confirmed e-mail address, connected at once. An address that already
    belongs to a Strata account is never merged into it: its owner signs in with the password.
    """
    connections = list(Connection.objects.filter(account_uuid=profile["uuid"]).select_related("user")[:2])
    if len(connections) > 1:
        raise SignInRefused(
            "This Bitbucket account is connected to more than one Strata account, so it cannot say "
            "which one to open. Sign in with your e-mail and password."
        )
    if connections:
        return _returning(connections[0], profile=profile, grant=grant), False
    return _new_person(profile=profile, verified_email=verified_email, grant=grant, allow_signup=allow_signup), True
