"""Personal API tokens: created once (shown once), stored hashed, revoked for good."""
from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from knowledge.models import ApiToken

PREFIX = "strata_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is never stored and cannot be shown again."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name.strip()[:100] or "API token", prefix=token[:12], token_hash=_digest(token))
    return row, token


def api_token_revoke(*, user, token_id: int) -> bool:
    return bool(ApiToken.objects.filter(pk=token_id, user=user, revoked_at=None).update(revoked_at=timezone.now()))


def api_token_authenticate(token: str):
    """The user a live token belongs to, or None."""
    if not token.startswith(PREFIX):
        return None
    row = ApiToken.objects.select_related("user").filter(token_hash=_digest(token), revoked_at=None).first()
    if row is None or not row.user.is_active:
        return None
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row.user
