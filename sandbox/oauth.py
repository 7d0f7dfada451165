"""OAuth 2.0 on the web host: the consent page, authorization codes, and the token endpoint.

Refresh tokens rotate (a used one is refused), codes are single use and short-lived, and access
tokens are long opaque strings valid for two hours.
"""
from __future__ import annotations

import hmac
import secrets
import time
from urllib.parse import urlencode

from sandbox import pages
from sandbox.model import AccessToken, AuthCode, Consumer, RefreshToken, User
from sandbox.routing import Call, Router
from sandbox.web import HttpError, Response

ACCESS_TOKEN_TTL = 7200
CODE_TTL = 300
FORM = "application/x-www-form-urlencoded"


def register(router: Router) -> None:
    router.add("GET", "/site/oauth2/authorize", authorize_page, kind="web")
    router.add("POST", "/site/oauth2/authorize", authorize_decision, kind="web")
    router.add("POST", "/site/oauth2/access_token", access_token, kind="web")


class _PageError(Exception):
    def __init__(self, title: str, message: str):
        super().__init__(message)
        self.title, self.message = title, message

    def response(self) -> Response:
        return Response.html(pages.error(self.title, self.message), status=400)


def _consumer_and_target(call: Call, values: dict[str, str]) -> tuple[Consumer, str]:
    consumer = call.state.consumers.get(values.get("client_id") or "")
    if consumer is None:
        raise _PageError("Invalid client_id", "No OAuth consumer has this key. Check the client_id.")
    if values.get("response_type") != "code":
        raise _PageError("Unsupported response_type", "Only response_type=code is supported.")
    redirect_uri = values.get("redirect_uri") or None
    if redirect_uri and consumer.callback_url and not redirect_uri.startswith(consumer.callback_url):
        raise _PageError("Invalid redirect_uri",
                         "The redirect_uri does not match the callback URL of the OAuth consumer.")
    target = redirect_uri or consumer.callback_url
    if not target:
        raise _PageError("Missing redirect_uri",
                         "The OAuth consumer has no callback URL and no redirect_uri was given.")
    return consumer, target


def _with_query(target: str, params: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{target}{'&' if '?' in target else '?'}{query}"


def authorize_page(call: Call) -> Response:
    values = {k: call.request.arg(k) for k in ("client_id", "response_type", "state", "redirect_uri")}
    with call.state.lock:
        try:
            consumer, _ = _consumer_and_target(call, values)
        except _PageError as problem:
            return problem.response()
        users = list(call.state.users.values())
    return Response.html(pages.authorize(consumer, users, values))


def authorize_decision(call: Call) -> Response:
    values = call.request.form()
    with call.state.lock:
        try:
            consumer, target = _consumer_and_target(call, values)
        except _PageError as problem:
            return problem.response()
        state_param = values.get("state") or None
        if values.get("decision") != "grant":
            return Response.redirect(_with_query(target, {
                "error": "access_denied",
                "error_description": "The user denied access to the OAuth consumer.",
                "state": state_param}))
        user = call.state.users.get(values.get("user") or "")
        if user is None:
            return _PageError("Unknown user", "Choose a Bitbucket user.").response()
        code = AuthCode(secrets.token_urlsafe(24), user, consumer, values.get("redirect_uri") or None,
                        time.time() + CODE_TTL)
        call.state.codes[code.code] = code
    return Response.redirect(_with_query(target, {"code": code.code, "state": state_param}))


def _oauth_error(status: int, error: str, description: str) -> HttpError:
    return HttpError(status, description, body={"error": error, "error_description": description},
                     headers={"Cache-Control": "no-store"})


def _client(call: Call, form: dict[str, str]) -> Consumer:
    basic = call.request.basic_auth()
    key, secret = basic if basic else (form.get("client_id", ""), form.get("client_secret", ""))
    consumer = call.state.consumers.get(key)
    if consumer is None or not hmac.compare_digest(consumer.secret.encode(), secret.encode()):
        raise _oauth_error(401, "unauthorized_client", "Invalid OAuth client credentials")
    return consumer


def _issue(call: Call, user: User, consumer: Consumer, scopes: str, grant: str) -> Response:
    # Real tokens can exceed 2,500 characters: so do ours, to catch columns that are too short.
    access = AccessToken(secrets.token_urlsafe(1950), user, consumer, scopes,
                         time.time() + ACCESS_TOKEN_TTL)
    refresh = RefreshToken(secrets.token_urlsafe(48), user, consumer, scopes)
    call.state.access_tokens[access.token] = access
    call.state.refresh_tokens[refresh.token] = refresh
    return Response.json({"access_token": access.token, "token_type": "bearer",
                          "expires_in": ACCESS_TOKEN_TTL, "refresh_token": refresh.token,
                          "scopes": scopes, "scope": scopes, "state": grant},
                         headers={"Cache-Control": "no-store"})


def access_token(call: Call) -> Response:
    if call.request.content_type() != FORM:
        raise _oauth_error(400, "invalid_request",
                           "The token request must be form-encoded (application/x-www-form-urlencoded).")
    form = call.request.form()
    with call.state.lock:
        consumer = _client(call, form)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return _from_code(call, consumer, form)
        if grant == "refresh_token":
            return _from_refresh(call, consumer, form)
        raise _oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")


def _from_code(call: Call, consumer: Consumer, form: dict[str, str]) -> Response:
    if not form.get("code"):
        raise _oauth_error(400, "invalid_request", "Missing code parameter")
    code = call.state.codes.get(form["code"])
    if code is None or code.used or code.consumer is not consumer:
        raise _oauth_error(400, "invalid_grant", "Invalid authorization code")
    if code.expires_at <= time.time():
        raise _oauth_error(400, "invalid_grant", "The authorization code has expired")
    if form.get("redirect_uri") and code.redirect_uri and form["redirect_uri"] != code.redirect_uri:
        raise _oauth_error(400, "invalid_grant", "redirect_uri does not match the authorization request")
    code.used = True
    return _issue(call, code.user, consumer, consumer.scopes, "authorization_code")


def _from_refresh(call: Call, consumer: Consumer, form: dict[str, str]) -> Response:
    if not form.get("refresh_token"):
        raise _oauth_error(400, "invalid_request", "Missing refresh_token parameter")
    refresh = call.state.refresh_tokens.get(form["refresh_token"])
    if refresh is None or refresh.used or refresh.revoked or refresh.consumer is not consumer:
        raise _oauth_error(400, "invalid_grant", "Invalid refresh_token")
    refresh.used = True     # rotation: this refresh token is spent
    return _issue(call, refresh.user, consumer, refresh.scopes, "refresh_token")
