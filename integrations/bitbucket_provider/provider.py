"""The `bitbucket` provider: allauth's Bitbucket provider with our adapter, keyed on the account uuid."""
from allauth.socialaccount.providers.bitbucket_oauth2.provider import BitbucketOAuth2Provider

from integrations.bitbucket_provider.views import BitbucketAdapter


class BitbucketProvider(BitbucketOAuth2Provider):
    id = "bitbucket"
    name = "Bitbucket"
    oauth2_adapter_class = BitbucketAdapter

    def extract_uid(self, data):
        # Connections are keyed on the account uuid (`Connection.account_uuid`), as Bitbucket advises.
        return data["uuid"]

    def extract_common_fields(self, data):
        return {"email": data.get("verified_email") or None, "name": data.get("display_name")}


provider_classes = [BitbucketProvider]
