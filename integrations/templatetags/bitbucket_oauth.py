"""Template tags about Bitbucket OAuth: offered only when this server has a consumer."""
from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def bitbucket_oauth_configured() -> bool:
    return bool(settings.BITBUCKET_OAUTH_KEY and settings.BITBUCKET_OAUTH_SECRET)
