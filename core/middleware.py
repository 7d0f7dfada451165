"""Middleware of our own: the Content-Security-Policy with the Bitbucket address of the moment."""
from __future__ import annotations

from dataclasses import replace

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware; forms may also lead to Bitbucket (Connect Bitbucket posts here and
    is redirected on to its consent page, which Chromium checks against form-action). Read per
    response, so the policy follows BITBUCKET_WEB_URL wherever it points (the sandbox in tests)."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = dict(parts.update or {})
        update["form-action"] = [*update.get("form-action", []), settings.BITBUCKET_WEB_URL]
        return replace(parts, update=update)
