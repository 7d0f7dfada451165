"""Who an OAuth access token belongs to: the Bitbucket account and its confirmed e-mail address."""
from __future__ import annotations

from dataclasses import dataclass

from integrations.bitbucket import endpoints
from integrations.bitbucket.client import BitbucketClient
from integrations.bitbucket.errors import BitbucketError, BitbucketPermissionError


@dataclass(frozen=True)
class Identity:
    profile: dict            # the current user: uuid, account_id, nickname, display_name…
    verified_email: str      # "" when Bitbucket lists no confirmed address (or may not tell)


def confirmed_email(addresses: list[dict]) -> str:
    """The primary address if Bitbucket confirmed it, else the first confirmed one, else ""."""
    confirmed = [a for a in addresses if isinstance(a, dict) and a.get("is_confirmed") is True and a.get("email")]
    primary = [a for a in confirmed if a.get("is_primary") is True]
    return str((primary or confirmed or [{"email": ""}])[0]["email"]).strip()


def identity_fetch(client: BitbucketClient) -> Identity:
    """Read the account, then its addresses. A consumer without the `email` scope gets a 403 on
    the second: the account is still known, with no verified address."""
    profile = endpoints.current_user(client)
    if not isinstance(profile.get("uuid"), str) or not profile["uuid"]:
        raise BitbucketError(f"Bitbucket did not say which account this is (no uuid in {endpoints.USER}).")
    try:
        addresses = list(endpoints.user_emails(client))
    except BitbucketPermissionError:
        addresses = []
    return Identity(profile=profile, verified_email=confirmed_email(addresses))
