"""Template tags about connecting Bitbucket: whether OAuth is offered, and the scopes a token needs."""
from django import template
from django.conf import settings

from integrations.bitbucket.scopes import API_TOKEN_SCOPES

register = template.Library()


@register.simple_tag
def bitbucket_oauth_configured() -> bool:
    return bool(settings.BITBUCKET_OAUTH_KEY and settings.BITBUCKET_OAUTH_SECRET)


@register.simple_tag
def bitbucket_api_token_scopes() -> list[str]:
    return list(API_TOKEN_SCOPES)
