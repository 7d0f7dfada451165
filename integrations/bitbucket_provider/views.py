"""allauth's Bitbucket adapter with configurable hosts; who the user is comes through our one client."""
from __future__ import annotations

from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.bitbucket_oauth2.views import BitbucketOAuth2Adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.conf import settings
from django.urls import reverse

from integrations.bitbucket.client import BearerCredentials, BitbucketClient
from integrations.bitbucket.errors import BitbucketError
from integrations.bitbucket.identity import identity_fetch


class BitbucketAdapter(BitbucketOAuth2Adapter):
    provider_id = "bitbucket"

    @property
    def access_token_url(self) -> str:
        return f"{settings.BITBUCKET_WEB_URL}/site/oauth2/access_token"

    @property
    def authorize_url(self) -> str:
        return f"{settings.BITBUCKET_WEB_URL}/site/oauth2/authorize"

    def get_callback_url(self, request, app) -> str:
        """PUBLIC_URL + our callback path: exactly the consumer's callback URL on Bitbucket, whatever
        host or port the request came through (a proxy, localhost instead of 127.0.0.1)."""
        return f"{settings.PUBLIC_URL}{reverse(f'{self.provider_id}_callback')}"

    def complete_login(self, request, app, token, **kwargs):
        """The account behind the new token, its confirmed e-mail and the scopes granted.

        A Bitbucket failure here becomes a ProviderException, which allauth hands to
        `SocialAccountAdapter.on_authentication_error` (a message on our page, not an error page).
        """
        try:
            identity = identity_fetch(BitbucketClient(BearerCredentials(token.token)))
        except BitbucketError as exc:
            raise ProviderException(exc.message) from exc
        response = kwargs.get("response") or {}
        extra = {
            **identity.profile,
            "verified_email": identity.verified_email,
            # Bitbucket fixes scopes on the consumer and reports them as `scopes` in the token answer.
            "granted_scopes": response.get("scopes") or response.get("scope") or "",
        }
        return self.get_provider().sociallogin_from_response(request, extra)


oauth2_login = OAuth2LoginView.adapter_view(BitbucketAdapter)
oauth2_callback = OAuth2CallbackView.adapter_view(BitbucketAdapter)
