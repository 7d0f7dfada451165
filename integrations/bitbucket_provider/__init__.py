"""django-allauth's Bitbucket OAuth 2.0 provider, pointed at BITBUCKET_WEB_URL / BITBUCKET_API_URL."""
