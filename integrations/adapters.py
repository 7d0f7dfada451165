"""allauth adapters: a finished Bitbucket authorisation connects the signed-in user, or signs a person in.

Every outcome, failures included, ends on one of our pages with a message: allauth's own
social-account pages (sign-up form, "Third-Party Login Failure") are never shown.
"""
from __future__ import annotations

import logging

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.utils import perform_login
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.base.constants import AuthError
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from requests import RequestException

from integrations.bitbucket.client import clean_json
from integrations.services.connection import ConnectionRefused, connection_connect_oauth
from integrations.services.signin import OAuthGrant, SignInRefused, user_sign_in_bitbucket

log = logging.getLogger("bitbucket.oauth")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP


def _grant(sociallogin, extra: dict) -> OAuthGrant:
    token = sociallogin.token
    return OAuthGrant(access_token=token.token, refresh_token=token.token_secret,
                      expires_at=token.expires_at, scopes=extra.get("granted_scopes", ""))


def _failure_reason(exception, extra_context: dict) -> str:
    if isinstance(exception, OAuth2Error):
        return "Bitbucket refused to issue a token (the authorisation may have expired or been used already)."
    if isinstance(exception, ProviderException):
        return f"Bitbucket did not say who you are. {exception}"
    if isinstance(exception, RequestException):
        return "Bitbucket could not be reached."
    if exception is None and "state" not in extra_context:
        # allauth found no pending authorisation for the `state` Bitbucket sent back.
        return "this authorisation is not one Strata started here (it expired, or began in another browser)."
    return "Bitbucket did not complete the authorisation."


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Bitbucket OAuth ends here: signed in, it connects Bitbucket; signed out, it signs in or up.

    allauth's own SocialAccount/SocialToken rows are never written: the tokens live encrypted on
    `Connection`, and disconnecting leaves nothing behind that would skip the next authorisation.
    """

    def pre_social_login(self, request, sociallogin) -> None:
        extra = clean_json(sociallogin.account.extra_data)
        if request.user.is_authenticated:
            raise ImmediateHttpResponse(self._connect(request, extra, _grant(sociallogin, extra)))
        raise ImmediateHttpResponse(self._sign_in(request, sociallogin, extra))

    def _connect(self, request, extra: dict, grant: OAuthGrant) -> HttpResponse:
        try:
            connection_connect_oauth(
                user=request.user, profile=extra, access_token=grant.access_token,
                refresh_token=grant.refresh_token, expires_at=grant.expires_at, scopes=grant.scopes,
            )
        except ConnectionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Connected to Bitbucket as {extra.get('display_name') or extra.get('nickname')}.")
        return redirect("integrations:index")

    def _sign_in(self, request, sociallogin, extra: dict) -> HttpResponse:
        try:
            user, created = user_sign_in_bitbucket(
                profile=extra, verified_email=extra.get("verified_email", ""), grant=_grant(sociallogin, extra),
                allow_signup=get_account_adapter(request).is_open_for_signup(request),
            )
        except SignInRefused as exc:
            messages.error(request, str(exc))
            return redirect("account_login")
        if created:
            messages.success(request, f"Welcome to Strata: your account ({user.email}) was made from Bitbucket, "
                                      "and Bitbucket is connected.")
        return perform_login(
            request, user, email_verification=account_settings.EMAIL_VERIFICATION,
            redirect_url=sociallogin.get_redirect_url(request), signup=created,
        )

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None) -> None:
        extra_context = extra_context or {}
        state = extra_context.get("state") or {}
        connecting = request.user.is_authenticated
        if error == AuthError.CANCELLED:
            messages.warning(request, "Bitbucket access was not granted, so nothing was connected or stored."
                             if connecting else "Bitbucket access was not granted, so you were not signed in.")
        else:
            log.warning("bitbucket.oauth.failed", extra={
                "error": error, "exception": repr(exception), "oauth_process": state.get("process")})
            doing = "Connecting Bitbucket" if connecting else "Signing in with Bitbucket"
            messages.error(request, f"{doing} failed: {_failure_reason(exception, extra_context)} Please try again.")
        raise ImmediateHttpResponse(redirect("integrations:index" if connecting else "account_login"))

    def is_open_for_signup(self, request, sociallogin) -> bool:
        # Never reached (pre_social_login always answers), and allauth's social sign-up form
        # must not be either: new people are signed up by `user_sign_in_bitbucket`.
        return False
