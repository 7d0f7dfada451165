"""Django admin: connections without secrets, and actions that enqueue the same jobs as the pages."""
from __future__ import annotations

import time

import pytest
from django_q.models import Failure
from django_q.tasks import async_task

from integrations.models import Connection, Repository, Workspace

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", email="root@example.com", password="x-Admin-Passw0rd")
    client.force_login(admin)
    return client


def test_the_connection_page_never_shows_a_token(acme, admin_client):
    connection = Connection.objects.get()
    for url in ["/admin/integrations/connection/", f"/admin/integrations/connection/{connection.pk}/change/"]:
        page = admin_client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert connection.access_token not in html and connection.refresh_token not in html
        assert "alice" in html


def test_admin_actions_refresh_and_disconnect_a_workspace(acme, admin_client, bitbucket):
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "from-admin"})
    admin_client.post("/admin/integrations/workspace/", {"action": "refresh", "_selected_action": [acme.pk]})
    assert Repository.objects.filter(workspace=acme, slug="from-admin").exists()

    admin_client.post("/admin/integrations/workspace/", {"action": "disconnect", "_selected_action": [acme.pk]})
    acme.refresh_from_db()
    assert acme.status == Workspace.Status.INACTIVE and not Repository.objects.filter(workspace=acme).exists()


def test_admin_can_search_and_filter_workspaces(acme, admin_client):
    assert "Acme Corp" in admin_client.get("/admin/integrations/workspace/?q=acme").content.decode()
    assert "Acme Corp" in admin_client.get("/admin/integrations/workspace/?status__exact=active").content.decode()
    assert "Acme Corp" not in admin_client.get("/admin/integrations/workspace/?status__exact=inactive").content.decode()


def test_scheduled_and_failed_jobs_are_visible(admin_client, bitbucket, cluster):
    schedules = admin_client.get("/admin/django_q/schedule/").content.decode()
    assert "resume-disconnections" in schedules and "resume-stalled-layers" in schedules
    async_task("math.sqrt", -1, task_name="failing-job")  # a real worker runs it, and it fails
    deadline = time.monotonic() + 30
    while "failing-job" not in admin_client.get("/admin/django_q/failure/").content.decode():
        assert time.monotonic() < deadline, "the failed job never showed up in admin"
        time.sleep(0.2)
    assert "math domain error" in admin_client.get(
        f"/admin/django_q/failure/{Failure.objects.get(name='failing-job').pk}/change/").content.decode()
