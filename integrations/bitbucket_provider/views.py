"""allauth's Bitbucket adapter with configurable hosts and the granted scopes kept."""
from __future__ import annotations

from allauth.socialaccount.providers.bitbucket_oauth2.views import BitbucketOAuth2Adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.conf import settings


class BitbucketAdapter(BitbucketOAuth2Adapter):
    provider_id = "bitbucket"

    @property
    def access_token_url(self) -> str:
        return f"{settings.BITBUCKET_WEB_URL}/site/oauth2/access_token"

    @property
    def authorize_url(self) -> str:
        return f"{settings.BITBUCKET_WEB_URL}/site/oauth2/authorize"

    @property
    def profile_url(self) -> str:
        return f"{settings.BITBUCKET_API_URL}/2.0/user"

    @property
    def emails_url(self) -> str:
        return f"{settings.BITBUCKET_API_URL}/2.0/user/emails"

    def complete_login(self, request, app, token, **kwargs):
        login = super().complete_login(request, app, token, **kwargs)
        response = kwargs.get("response") or {}
        # Bitbucket fixes scopes on the consumer and reports them as `scopes` in the token answer.
        login.account.extra_data["granted_scopes"] = response.get("scopes") or response.get("scope") or ""
        return login


oauth2_login = OAuth2LoginView.adapter_view(BitbucketAdapter)
oauth2_callback = OAuth2CallbackView.adapter_view(BitbucketAdapter)
