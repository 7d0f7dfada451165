"""allauth adapters: Bitbucket OAuth only connects an account that is already signed in to Strata."""
from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect

from integrations.bitbucket.client import clean_json
from integrations.services.connection import ConnectionRefused, connection_connect_oauth

log = logging.getLogger("bitbucket.oauth")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Turn a finished Bitbucket authorisation into our encrypted Connection, nothing more.

    allauth's own SocialAccount/SocialToken rows are never written: the tokens live encrypted on
    `Connection`, and disconnecting leaves nothing behind that would skip the next authorisation.
    """

    def pre_social_login(self, request, sociallogin) -> None:
        if not request.user.is_authenticated:
            messages.error(request, "Sign in to Strata first, then connect Bitbucket from Integrations.")
            raise ImmediateHttpResponse(redirect("account_login"))
        token = sociallogin.token
        extra = clean_json(sociallogin.account.extra_data)
        try:
            connection_connect_oauth(
                user=request.user, profile=extra, access_token=token.token, refresh_token=token.token_secret,
                expires_at=token.expires_at, scopes=extra.get("granted_scopes", ""),
            )
        except ConnectionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Connected to Bitbucket as {extra.get('display_name') or extra.get('nickname')}.")
        raise ImmediateHttpResponse(redirect("integrations:index"))

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None) -> None:
        if error == AuthError.CANCELLED:
            messages.warning(request, "Bitbucket access was not granted, so nothing was connected or stored.")
        else:
            log.warning("bitbucket.oauth.failed", extra={"error": error, "exception": repr(exception)})
            messages.error(request, "Connecting Bitbucket failed: Bitbucket did not complete the authorisation. Please try again.")
        raise ImmediateHttpResponse(redirect("integrations:index" if request.user.is_authenticated else "account_login"))

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False
