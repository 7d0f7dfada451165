"""The `bitbucket` provider: allauth's Bitbucket provider with our adapter."""
from allauth.socialaccount.providers.bitbucket_oauth2.provider import BitbucketOAuth2Provider

from integrations.bitbucket_provider.views import BitbucketAdapter


class BitbucketProvider(BitbucketOAuth2Provider):
    id = "bitbucket"
    name = "Bitbucket"
    oauth2_adapter_class = BitbucketAdapter


provider_classes = [BitbucketProvider]
