"""Django admin: nothing added or edited by hand, tokens never shown, the owner on every row, and
deleting runs the same disconnect jobs as the pages (our hooks off Bitbucket, chunked deletion)."""
from __future__ import annotations

import time
from urllib.parse import unquote

import pytest
from allauth.socialaccount.models import SocialAccount
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf
from django_q.models import Failure
from django_q.tasks import async_task

from integrations import tasks
from integrations.admin_deletion import EFFECT
from integrations.models import Connection, Repository, Workspace
from knowledge.models import ContentChunk, Generation, KnowledgeLayer, LayerFile, Symbol
from webhooks.models import Hook

pytestmark = pytest.mark.django_db(transaction=True)


def sandbox_hooks(bitbucket) -> list[dict]:
    return bitbucket.control("GET", "/_sandbox/hooks").json()["hooks"]


def build_layer(signed_in, repository: Repository) -> KnowledgeLayer:
    signed_in.post("/knowledge/layers/create/", {"repository": [repository.pk]})
    layer = KnowledgeLayer.objects.get(repository=repository)
    assert layer.status == KnowledgeLayer.Status.ACTIVE, layer.failure_reason
    return layer


def link(signed_in, slug: str) -> Workspace:
    workspace = Workspace.objects.get(slug=slug)
    signed_in.post("/integrations/bitbucket/workspaces/link/", {"workspace": [workspace.pk]})
    return workspace


def page(client, url: str) -> tuple[str, int]:
    """The page's HTML and how many queries it took."""
    with CaptureQueriesContext(db) as queries:
        answer = client.get(url)
    assert answer.status_code == 200, url
    return answer.content.decode(), len(queries)


def test_connection_pages_never_show_a_token(acme, admin_client):
    connection = Connection.objects.get()
    for url in ["/admin/integrations/connection/", f"/admin/integrations/connection/{connection.pk}/change/",
                f"/admin/integrations/connection/{connection.pk}/delete/"]:
        html, _ = page(admin_client, url)
        assert connection.access_token not in html and connection.refresh_token not in html
        assert "Alice Archer" in html and "ada@example.com" in html
    # Allauth's token and consumer admins are gone: tokens live on the connection, the consumer in settings.
    for url in ["/admin/socialaccount/socialtoken/", "/admin/socialaccount/socialapp/add/"]:
        assert admin_client.get(url).status_code == 404, url
    # Nor a hook's secret, on any admin page that shows hooks.
    hook = Hook.objects.get()
    for url in ["/admin/webhooks/hook/", f"/admin/webhooks/hook/{hook.pk}/change/"]:
        html, _ = page(admin_client, url)
        assert hook.secret not in html and hook.bitbucket_uuid in html


def test_every_list_shows_the_owner_in_the_same_number_of_queries_however_many_rows(acme, admin_client, make_user):
    urls = ["/admin/integrations/connection/", "/admin/integrations/workspace/", "/admin/integrations/repository/",
            "/admin/webhooks/hook/"]
    page(admin_client, urls[0])  # caches (content types, the session) warm up once
    before = {url: page(admin_client, url) for url in urls}
    for url, (html, _) in before.items():
        assert "ada@example.com" in html, url

    for n in range(3):
        other = make_user(f"owner{n}@example.com")
        connection = Connection.objects.create(user=other, auth_method=Connection.AuthMethod.OAUTH, display_name=f"Owner {n}")
        for w in range(3):
            workspace = Workspace.objects.create(connection=connection, uuid=f"{{w{n}{w}}}", slug=f"ws{n}{w}", name=f"WS {n}{w}",
                                                 status=Workspace.Status.ACTIVE)
            Hook.objects.create(workspace=workspace, secret="s", events=["repo:push"])
            for r in range(3):
                Repository.objects.create(workspace=workspace, uuid=f"{{r{n}{w}{r}}}", slug=f"r{r}", name=f"r{r}",
                                          full_name=f"ws{n}{w}/r{r}")
    for url in urls:
        html, queries = page(admin_client, url)
        assert "owner2@example.com" in html, url
        assert queries == before[url][1], f"{url}: {before[url][1]} queries for a few rows, {queries} for more"


def test_nothing_is_added_or_edited_by_hand(acme, admin_client):
    connection = Connection.objects.get()
    repository = Repository.objects.get(workspace=acme, slug="api")
    rows = {"connection": connection, "workspace": acme, "repository": repository}
    for model, row in rows.items():
        changelist, _ = page(admin_client, f"/admin/integrations/{model}/")
        assert f'href="/admin/integrations/{model}/add/"' not in changelist, model
        assert admin_client.get(f"/admin/integrations/{model}/add/").status_code == 403, model
        change = f"/admin/integrations/{model}/{row.pk}/change/"
        html, _ = page(admin_client, change)
        assert 'name="_save"' not in html and "Delete" in html, model  # viewed, and deleted through the services
        assert admin_client.post(change, {"name": "renamed", "status": "active", "slug": "x"}).status_code == 403, model
    acme.refresh_from_db()
    repository.refresh_from_db()
    assert acme.name == "Acme Corp" and repository.name != "renamed"


def test_refresh_from_admin_loads_new_repositories(acme, admin_client, bitbucket):
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "from-admin"})
    admin_client.post("/admin/integrations/workspace/", {"action": "refresh", "_selected_action": [acme.pk]})
    assert Repository.objects.filter(workspace=acme, slug="from-admin").exists()


def test_admin_can_search_and_filter_workspaces(acme, admin_client):
    assert "Acme Corp" in admin_client.get("/admin/integrations/workspace/?q=acme").content.decode()
    assert "Acme Corp" in admin_client.get("/admin/integrations/workspace/?q=ada@example.com").content.decode()
    assert "Acme Corp" in admin_client.get("/admin/integrations/workspace/?status__exact=active").content.decode()
    assert "Acme Corp" not in admin_client.get("/admin/integrations/workspace/?status__exact=inactive").content.decode()


def test_deleting_a_workspace_says_what_goes_then_runs_the_disconnect_job(acme, signed_in, admin_client, bitbucket):
    build_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    assert len(sandbox_hooks(bitbucket)) == 1
    url = f"/admin/integrations/workspace/{acme.pk}/delete/"
    html, _ = page(admin_client, url)
    assert EFFECT in html and "stays listed, as Inactive" in html
    for line in ("Repositories: 4", "Knowledge layers: 1", "Our hooks on Bitbucket: 1"):
        assert line in html
    assert "acme/api" not in html  # counted, not listed

    answer = admin_client.post(url, {"post": "yes"}, follow=True)
    assert answer.redirect_chain[-1][0] == "/admin/integrations/workspace/"
    assert "Disconnecting the workspace “Acme Corp (acme)”" in answer.content.decode()
    assert sandbox_hooks(bitbucket) == []
    assert any(r["method"] == "DELETE" and "/hooks/" in unquote(r["path"]) and r["status"] == 204 for r in bitbucket.requests_seen())
    acme.refresh_from_db()
    assert acme.status == Workspace.Status.INACTIVE
    assert not Repository.objects.filter(workspace=acme).exists() and not Hook.objects.exists()
    assert not KnowledgeLayer.objects.exists() and not ContentChunk.objects.exists() and not Symbol.objects.exists()


def test_a_repository_deleted_in_admin_shows_deleting_until_a_worker_purges_it_with_its_layer_and_hook(
        acme, signed_in, admin_client, bitbucket, monkeypatch, start_cluster):
    monkeypatch.setattr(Conf, "SYNC", True)  # set up in-process; from the delete on, jobs go to the queue
    globex = link(signed_in, "globex")  # alice is a member there: each layer gets its own repository hook
    service = Repository.objects.get(workspace=globex, slug="service")
    layer = build_layer(signed_in, service)
    assert [h["subject"] for h in sandbox_hooks(bitbucket) if h["subject_type"] == "repository"] == ["globex/service"]
    url = f"/admin/integrations/repository/{service.pk}/delete/"
    html, _ = page(admin_client, url)
    for line in ("Repositories: 1", "Knowledge layers: 1", "Our hooks on Bitbucket: 1"):
        assert line in html
    assert f"Files in those layers: {layer.summary['files']}" in html

    monkeypatch.setattr(Conf, "SYNC", False)  # jobs wait in the queue until a worker runs them
    answer = admin_client.post(url, {"post": "yes"}, follow=True).content.decode()
    assert "Deleting the repository “globex/service”" in answer
    service.refresh_from_db()
    assert service.status == Repository.Status.DELETING
    listing, _ = page(admin_client, "/admin/integrations/repository/?status__exact=deleting")
    assert "globex/service" in listing and "Deleting" in listing
    assert 'data-repository="globex/service"' not in signed_in.get("/knowledge/repositories/").content.decode()
    assert 'data-repository="globex/service"' not in signed_in.get("/knowledge/").content.decode()

    start_cluster()  # a real worker takes the job from the queue
    deadline = time.monotonic() + 60
    while Repository.objects.filter(pk=service.pk).exists():
        assert time.monotonic() < deadline, "the deletion job never ran"
        time.sleep(0.2)
    assert [h for h in sandbox_hooks(bitbucket) if h["subject_type"] == "repository"] == []
    assert len(sandbox_hooks(bitbucket)) == 1  # acme's workspace hook is not theirs to touch
    assert not KnowledgeLayer.objects.filter(pk=layer.pk).exists() and not Generation.objects.filter(layer_id=layer.pk).exists()
    assert not Hook.objects.filter(workspace=globex).exists()
    assert Repository.objects.filter(workspace=globex, slug="legacy").exists()


def test_delete_selected_repositories_confirms_with_counts_and_deletes_them(acme, signed_in, admin_client, bitbucket):
    api, web = (Repository.objects.get(workspace=acme, slug=slug) for slug in ("api", "web"))
    for repository in (api, web):
        build_layer(signed_in, repository)
    selected = {"action": "delete_selected", "_selected_action": [api.pk, web.pk]}
    html = admin_client.post("/admin/integrations/repository/", selected).content.decode()
    assert "Delete 2 repositories?" in html and "Knowledge layers: 2" in html and "Our hooks on Bitbucket: 0" in html
    assert "A workspace hook stays" in html

    answer = admin_client.post("/admin/integrations/repository/", {**selected, "post": "yes"}, follow=True)
    assert "Deleting 2 repositories" in answer.content.decode()
    assert not Repository.objects.filter(pk__in=[api.pk, web.pk]).exists() and not KnowledgeLayer.objects.exists()
    assert Repository.objects.filter(workspace=acme).count() == 2
    assert len(sandbox_hooks(bitbucket)) == 1 and Hook.objects.filter(workspace=acme, repository=None).exists()


def test_deleting_a_connection_in_admin_disconnects_bitbucket_and_keeps_the_user(acme, signed_in, admin_client, bitbucket, user):
    build_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    connection = Connection.objects.get()
    selected = {"action": "delete_selected", "_selected_action": [connection.pk]}
    html = admin_client.post("/admin/integrations/connection/", selected).content.decode()
    assert EFFECT in html and "consent page" in html
    for line in ("Workspaces: 3", "Repositories: 4", "Knowledge layers: 1", "Our hooks on Bitbucket: 1"):
        assert line in html

    answer = admin_client.post("/admin/integrations/connection/", {**selected, "post": "yes"}, follow=True)
    assert "Disconnecting 1 Bitbucket connection" in answer.content.decode()
    assert sandbox_hooks(bitbucket) == []
    assert (Connection.objects.count(), Workspace.objects.count(), Repository.objects.count(), Hook.objects.count()) == (0, 0, 0, 0)
    assert not KnowledgeLayer.objects.exists() and not SocialAccount.objects.exists()
    user.refresh_from_db()  # still there
    assert "Connect Bitbucket" in signed_in.get("/integrations/").content.decode()


def test_confirmation_pages_count_rather_than_list_so_they_stay_small(acme, signed_in, admin_client):
    layer = build_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    connection = Connection.objects.get()
    urls = [f"/admin/integrations/connection/{connection.pk}/delete/", f"/admin/integrations/workspace/{acme.pk}/delete/",
            f"/admin/integrations/repository/{layer.repository_id}/delete/"]
    page(admin_client, urls[0])
    before = {url: page(admin_client, url) for url in urls}

    generation = Generation.objects.get(layer=layer, number=layer.active_generation)
    file = LayerFile.objects.create(generation=generation, path="many.py", size=1, sha256="0" * 64)
    ContentChunk.objects.bulk_create(ContentChunk(generation=generation, file=file, start_line=n * 50 + 1, text=f"chunk {n}")
                                     for n in range(3000))
    Symbol.objects.bulk_create(Symbol(generation=generation, file=file, kind="function", name=f"symbol_{n}", line=n + 1)
                               for n in range(3000))
    for url in urls:
        html, queries = page(admin_client, url)
        assert len(html) < 20_000 and abs(len(html) - len(before[url][0])) < 20, url
        assert queries == before[url][1], url
        assert "chunk 2999" not in html and "symbol_2999" not in html and "Content chunk" not in html


def test_a_repository_deletion_whose_worker_died_is_resumed_by_the_sweep(acme, admin_client, monkeypatch):
    api = Repository.objects.get(workspace=acme, slug="api")
    monkeypatch.setattr(Conf, "SYNC", False)  # queued, and the worker dies before it runs
    admin_client.post(f"/admin/integrations/repository/{api.pk}/delete/", {"post": "yes"})
    Repository.objects.filter(pk=api.pk).update(updated_at="2000-01-01T00:00:00Z")
    monkeypatch.setattr(Conf, "SYNC", True)
    assert tasks.resume_disconnections() == 1
    assert not Repository.objects.filter(pk=api.pk).exists() and Repository.objects.filter(workspace=acme).count() == 3


def test_a_user_still_connected_to_bitbucket_is_not_deleted_by_cascade(acme, admin_client, user, django_user_model):
    url = f"/admin/auth/user/{user.pk}/delete/"
    html, _ = page(admin_client, url)
    assert "delete it first under Bitbucket connections" in html and "Yes, I’m sure" not in html
    admin_client.post(url, {"post": "yes"})
    assert django_user_model.objects.filter(pk=user.pk).exists() and Connection.objects.exists()

    admin_client.post(f"/admin/integrations/connection/{Connection.objects.get().pk}/delete/", {"post": "yes"})
    assert not Connection.objects.exists()
    assert "Yes, I’m sure" in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert not django_user_model.objects.filter(pk=user.pk).exists()


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


def test_allauth_accounts_authenticators_and_addresses_are_never_added_by_hand(acme, admin_client):
    for url in ["/admin/socialaccount/socialaccount/", "/admin/mfa/authenticator/", "/admin/account/emailaddress/"]:
        changelist, _ = page(admin_client, url)
        assert f'href="{url}add/"' not in changelist, url
        assert admin_client.get(f"{url}add/").status_code == 403, url
    # What sign-in made is still listed.
    assert "ada@example.com" in page(admin_client, "/admin/account/emailaddress/")[0]
