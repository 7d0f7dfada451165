from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from integrations.bitbucket_provider.provider import BitbucketProvider

urlpatterns = default_urlpatterns(BitbucketProvider)
