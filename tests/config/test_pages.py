"""Pages around the product: its icon, and Strata's own pages for 404, 403 and 500 outside DEBUG."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_every_page_names_strata_s_icon_and_favicon_ico_leads_to_it(client, make_user):
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in client.get("/accounts/login/").content.decode()
    client.force_login(make_user())
    assert 'href="/static/favicon.svg"' in client.get("/knowledge/").content.decode()
    answer = client.get("/favicon.ico")  # asked for by pages that name no icon, such as the admin's
    assert answer.status_code == 301 and answer["Location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)
