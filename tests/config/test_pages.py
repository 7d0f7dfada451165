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


def test_outside_debug_another_user_s_layer_is_strata_s_not_found_page(client, make_user, settings):
    from integrations.models import Connection, Repository, Workspace
    from knowledge.models import KnowledgeLayer

    settings.DEBUG = False
    other = make_user("bob@example.com")
    connection = Connection.objects.create(user=other, auth_method=Connection.AuthMethod.OAUTH, display_name="Bob")
    workspace = Workspace.objects.create(connection=connection, uuid="{w}", slug="bobs", name="Bob's", status=Workspace.Status.ACTIVE)
    layer = KnowledgeLayer.objects.create(repository=Repository.objects.create(
        workspace=workspace, uuid="{r}", slug="secret", name="secret", full_name="bobs/secret"))
    client.force_login(make_user())
    answer = client.get(f"/knowledge/layers/{layer.pk}/")
    html = answer.content.decode()
    assert answer.status_code == 404 and "<h1>Not found</h1>" in html and 'aria-label="Main"' in html  # Strata's page, its sidebar
    assert "URLconf" not in html and "Raised by" not in html and "bobs/secret" not in html


def test_the_403_page_is_strata_s_and_the_500_page_needs_neither_a_request_nor_the_database(rf, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    from config.errors import permission_denied, server_error

    request = rf.get("/somewhere/")
    request.user = AnonymousUser()
    assert "<h1>Not allowed</h1>" in permission_denied(request, PermissionDenied()).content.decode()
    with django_assert_num_queries(0):
        answer = server_error(rf.get("/somewhere/"))
    html = answer.content.decode()
    assert answer.status_code == 500 and "<h1>Something went wrong</h1>" in html and 'href="/static/css/app.css"' in html
