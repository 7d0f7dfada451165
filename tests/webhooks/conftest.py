"""Hooks registered during a webhooks test point at that test's live server."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def public_url(live_server, settings):
    """Hooks registered on link (alice owns acme) point at this test server."""
    settings.PUBLIC_URL = live_server.url
