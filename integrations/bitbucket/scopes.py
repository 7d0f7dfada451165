"""What Strata may do on Bitbucket: the scopes it asks for, each with the feature that uses it.

Least privilege: a scope is listed only if some feature calls an endpoint that needs it (the
scopes come from Atlassian's OpenAPI description, ../shared/bitbucket/openapi). Pull requests and
pipelines are not read by any feature yet, so they are not asked for. The Integrations page and
the README say the same; tests run the product on a sandbox consumer with exactly OAUTH_SCOPES.
"""
from __future__ import annotations

from integrations.bitbucket.endpoints import USER, USER_WORKSPACES

# OAuth consumer permissions (fixed on the consumer; Bitbucket's consent page lists them).
OAUTH_SCOPES: dict[str, str] = {
    "account": f"Account: Read (your account, {USER}, and the workspaces you belong to, {USER_WORKSPACES})",
    "email": "Account: Email (your confirmed e-mail address, to sign you up with Bitbucket)",
    "repository": "Repositories: Read (repository listings, the main branch's head and its archive)",
    "webhook": "Webhooks: Read and write (our hooks: added when you link a workspace or create a layer, "
               "removed when you disconnect)",
}

# Atlassian API token scopes (a write scope does not imply its read scope).
API_TOKEN_SCOPES: dict[str, str] = {
    "read:user:bitbucket": "your account",
    "read:workspace:bitbucket": "the workspaces you belong to",
    "read:repository:bitbucket": "repositories, branch heads and archives",
    "read:webhook:bitbucket": "finding our hooks again",
    "write:webhook:bitbucket": "adding our hooks",
    "delete:webhook:bitbucket": "removing our hooks",
}
