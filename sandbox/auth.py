"""Who is calling, and may they: OAuth Bearer tokens and API-token Basic auth, with per-endpoint scopes."""
from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

from sandbox.model import User
from sandbox.state import State
from sandbox.web import HttpError, Request

EXPIRED = "Access token expired. Use your refresh token to obtain a new access token."
INVALID_TOKEN = "Token is invalid, expired, or not supported for this endpoint."
CHALLENGE = {"WWW-Authenticate": 'Basic realm="Bitbucket.org HTTP"'}

# What an endpoint needs: (API-token scope, OAuth consumer scope). A write scope does not imply
# its read scope for API tokens.
SCOPES = {
    "user": ("read:user:bitbucket", "account"),
    "email": ("read:user:bitbucket", "email"),
    "workspace": ("read:workspace:bitbucket", "account"),
    "repository": ("read:repository:bitbucket", "repository"),
    "pullrequest": ("read:pullrequest:bitbucket", "pullrequest"),
    "pipeline": ("read:pipeline:bitbucket", "pipeline"),
    "webhook:read": ("read:webhook:bitbucket", "webhook"),
    "webhook:write": ("write:webhook:bitbucket", "webhook"),
    "webhook:delete": ("delete:webhook:bitbucket", "webhook"),
}

# OAuth consumer scopes imply others (Bitbucket: "pullrequest implies repository", "X:write implies X").
IMPLIED = {
    "pullrequest": {"repository"},
    "pullrequest:write": {"pullrequest", "repository:write", "repository"},
    "repository:write": {"repository"},
    "repository:admin": {"repository"},
    "account:write": {"account"},
    "pipeline:write": {"pipeline"},
    "pipeline:variable": {"pipeline"},
}


def expand(scopes: str) -> frozenset[str]:
    granted = set(scopes.split())
    for scope in list(granted):
        granted |= IMPLIED.get(scope, set())
    return frozenset(granted)


@dataclass
class Principal:
    kind: str                 # "oauth" | "api_token"
    user: User
    scopes: frozenset[str]

    def require(self, need: str) -> None:
        api_scope, oauth_scope = SCOPES[need]
        wanted = oauth_scope if self.kind == "oauth" else api_scope
        if wanted not in self.scopes:
            raise HttpError(
                403, "Your credentials lack one or more required privilege scopes. "
                     f"This request requires scope {wanted}.",
                data={"required": [wanted], "granted": sorted(self.scopes)})


def auth_kind(request: Request) -> str:
    """How the request tried to authenticate, for the control API's request log."""
    scheme = request.headers.get("authorization", "").partition(" ")[0].lower()
    if scheme in ("bearer", "basic"):
        return scheme
    return "query" if "access_token" in request.query else "none"


def authenticate(state: State, request: Request) -> Principal:
    """The caller, or HttpError(401). Access tokens only as Bearer; API tokens only as Basic."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return _bearer(state, value.strip())
    if scheme == "basic":
        return _basic(state, request)
    if "access_token" in request.query:
        raise HttpError(401, "Access tokens are accepted only in the Authorization header "
                             "(Authorization: Bearer <token>), not as a query parameter.",
                        headers=CHALLENGE)
    raise HttpError(401, "This API requires authentication.", headers=CHALLENGE)


def _bearer(state: State, token: str) -> Principal:
    with state.lock:
        found = state.access_tokens.get(token)
        if found is None or found.revoked:
            raise HttpError(401, INVALID_TOKEN, headers=CHALLENGE)
        if found.expires_at <= time.time():
            raise HttpError(401, EXPIRED, headers=CHALLENGE)
        return Principal("oauth", found.user, expand(found.scopes))


def _basic(state: State, request: Request) -> Principal:
    credentials = request.basic_auth()
    if credentials is not None:
        email, secret = credentials
        with state.lock:
            for user in state.users.values():
                if user.email.lower() != email.lower():
                    continue
                for token in user.api_tokens:
                    if not token.revoked and hmac.compare_digest(token.token.encode(), secret.encode()):
                        return Principal("api_token", user, token.scopes)
    raise HttpError(401, "Invalid credentials. Use your Atlassian account email and an API token.",
                    headers=CHALLENGE)
