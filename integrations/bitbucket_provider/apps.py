from django.apps import AppConfig


class BitbucketProviderConfig(AppConfig):
    name = "integrations.bitbucket_provider"
    label = "bitbucket_provider"
    verbose_name = "Bitbucket OAuth provider"
