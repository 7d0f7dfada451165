"""The OAuth 2.0 token endpoint: exchanging a refresh token for a new (rotated) token pair."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone

from integrations.bitbucket.errors import BitbucketAuthError, BitbucketUnavailable


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scopes: str


def token_url() -> str:
    return f"{settings.BITBUCKET_WEB_URL}/site/oauth2/access_token"


def refresh_access_token(refresh_token: str, *, session: requests.Session | None = None) -> TokenSet:
    """Trade a refresh token for a new pair. The old refresh token dies: save the new one at once.

    Raises BitbucketAuthError when Bitbucket refuses the grant (revoked, expired, rotated away) and
    BitbucketUnavailable when it could not be asked: only the first means "reconnect".
    """
    http = session or requests
    try:
        response = http.post(
            token_url(),
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(settings.BITBUCKET_OAUTH_KEY, settings.BITBUCKET_OAUTH_SECRET),
            timeout=settings.BITBUCKET_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise BitbucketUnavailable(f"Bitbucket could not be reached to refresh the token ({type(exc).__name__}).") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise BitbucketUnavailable(f"Bitbucket answered {response.status_code} while refreshing the token.", status=response.status_code)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or "access_token" not in body:
        reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
        raise BitbucketAuthError(f"Bitbucket refused to refresh the access token: {reason}", status=response.status_code)
    return TokenSet(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token") or refresh_token,
        expires_at=timezone.now() + timedelta(seconds=int(body.get("expires_in", 7200))),
        scopes=body.get("scopes") or body.get("scope") or "",
    )
