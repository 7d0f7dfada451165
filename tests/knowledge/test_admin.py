"""Django admin for knowledge layers: state at a glance, filters, Rebuild through the service, and
nothing to add, edit or cascade-delete by hand."""
from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone

from integrations.models import Connection, Repository, Workspace
from knowledge.models import Generation, KnowledgeLayer

pytestmark = pytest.mark.django_db(transaction=True)

LAYERS = "/admin/knowledge/knowledgelayer/"


@pytest.fixture
def layers(signed_in, acme, bitbucket) -> dict[str, KnowledgeLayer]:
    """acme/api built (Active), acme/web failed (Bitbucket refused its archive)."""
    bitbucket.control("POST", "/_sandbox/faults", json={"path": r"/acme/web/get/", "status": 500, "times": 50})
    repositories = Repository.objects.filter(workspace=acme, slug__in=["api", "web"])
    signed_in.post("/knowledge/layers/create/", {"repository": [r.pk for r in repositories]})
    bitbucket.control("DELETE", "/_sandbox/faults")
    built = {layer.repository.slug: layer for layer in KnowledgeLayer.objects.select_related("repository")}
    assert built["api"].status == KnowledgeLayer.Status.ACTIVE and built["web"].status == KnowledgeLayer.Status.FAILED
    return built


def get(client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(db) as queries:
        answer = client.get(url)
    assert answer.status_code == 200, url
    return answer.content.decode(), len(queries)


def test_the_list_shows_each_layer_s_repository_owner_state_files_and_failure(layers, admin_client):
    html, _ = get(admin_client, LAYERS)
    for text in ("acme/api", "acme/web", "Acme Corp", "ada@example.com", "Active", "Failed",
                 str(layers["api"].summary["files"]), "Bitbucket answered 500"):
        assert text in html, text
    built = Generation.objects.get(layer=layers["api"], number=layers["api"].active_generation).finished_at
    assert "Last built" in html and formats.localize(timezone.template_localtime(built)) in html


def test_layers_filter_by_status_and_workspace_and_search_by_repository(layers, admin_client, signed_in):
    failed, _ = get(admin_client, f"{LAYERS}?status__exact=failed")
    assert "acme/web" in failed and "acme/api" not in failed
    globex = Workspace.objects.get(slug="globex")
    signed_in.post("/integrations/bitbucket/workspaces/link/", {"workspace": [globex.pk]})
    signed_in.post("/knowledge/layers/create/", {"repository": [Repository.objects.get(workspace=globex, slug="service").pk]})
    in_globex, _ = get(admin_client, f"{LAYERS}?repository__workspace__id__exact={globex.pk}")
    assert "globex/service" in in_globex and "acme/api" not in in_globex
    found, _ = get(admin_client, f"{LAYERS}?q=acme/api")
    assert "acme/api" in found and "acme/web" not in found


def test_rebuild_queues_a_build_through_the_service(layers, admin_client, bitbucket):
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"acme/admin_rebuilt.py": "def from_admin():\n    pass\n"}, "message": "New"})
    answer = admin_client.post(LAYERS, {"action": "rebuild", "_selected_action": [layers["api"].pk]}, follow=True)
    assert "Rebuilding 1 knowledge layer." in answer.content.decode()
    layer = KnowledgeLayer.objects.get(pk=layers["api"].pk)
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.active_generation == 2
    assert "acme/admin_rebuilt.py" in {f.path for f in Generation.objects.get(layer=layer, number=2).files.all()}


def test_rebuild_is_refused_while_bitbucket_waits_to_be_reconnected(layers, admin_client, signed_in, bitbucket):
    bitbucket.control("POST", "/_sandbox/users/alice/revoke")
    bitbucket.control("POST", "/_sandbox/tokens/expire")
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    assert Connection.objects.get().status == Connection.Status.RECONNECT
    seen = len(bitbucket.requests_seen())

    answer = admin_client.post(LAYERS, {"action": "rebuild", "_selected_action": [layers["api"].pk]}, follow=True)
    html = answer.content.decode()
    assert "Not rebuilt: Bitbucket no longer accepts the connection of ada@example.com" in html
    assert "Reconnect on Integrations first (acme/api)" in html and "Rebuilding" not in html
    layer = KnowledgeLayer.objects.get(pk=layers["api"].pk)
    assert (layer.status, layer.active_generation) == (KnowledgeLayer.Status.ACTIVE, 1)
    assert len(bitbucket.requests_seen()) == seen  # nothing was asked of Bitbucket


def test_layers_are_viewed_not_added_edited_or_cascade_deleted(layers, admin_client):
    layer = layers["api"]
    listing, _ = get(admin_client, LAYERS)
    assert f'href="{LAYERS}add/"' not in listing and 'value="delete_selected"' not in listing
    assert admin_client.get(f"{LAYERS}add/").status_code == 403
    page, _ = get(admin_client, f"{LAYERS}{layer.pk}/change/")
    assert "acme/api" in page and 'name="_save"' not in page and "Generations" in page
    assert admin_client.post(f"{LAYERS}{layer.pk}/change/", {"status": "failed"}).status_code == 403
    assert admin_client.get(f"{LAYERS}{layer.pk}/delete/").status_code == 403
    assert admin_client.post(f"{LAYERS}{layer.pk}/delete/", {"post": "yes"}).status_code == 403
    assert KnowledgeLayer.objects.get(pk=layer.pk).status == KnowledgeLayer.Status.ACTIVE


def test_the_list_takes_the_same_queries_however_many_layers(layers, admin_client, signed_in):
    get(admin_client, LAYERS)
    _, few = get(admin_client, LAYERS)
    globex = Workspace.objects.get(slug="globex")
    signed_in.post("/integrations/bitbucket/workspaces/link/", {"workspace": [globex.pk]})
    signed_in.post("/knowledge/layers/create/", {"repository": list(Repository.objects.filter(workspace=globex).values_list("pk", flat=True))})
    html, more = get(admin_client, LAYERS)
    assert "globex/service" in html and "globex/legacy" in html
    assert more == few


def test_the_workspace_filter_names_each_copy_of_a_workspace_with_its_owner(layers, admin_client, make_user):
    other = make_user("bob@example.com")
    connection = Connection.objects.create(user=other, auth_method=Connection.AuthMethod.OAUTH, display_name="Bob")
    copy = Workspace.objects.create(connection=connection, uuid="{acme-bob}", slug="acme", name="Acme Corp",
                                    status=Workspace.Status.ACTIVE)
    repository = Repository.objects.create(workspace=copy, uuid="{api-bob}", slug="api", name="api", full_name="acme/api")
    KnowledgeLayer.objects.create(repository=repository)
    html, _ = get(admin_client, LAYERS)
    assert "Acme Corp (ada@example.com)" in html and "Acme Corp (bob@example.com)" in html
    only_bob, _ = get(admin_client, f"{LAYERS}?repository__workspace__id__exact={copy.pk}")
    rows = only_bob.split("<tbody>")[1].split("</tbody>")[0]
    assert "bob@example.com" in rows and "ada@example.com" not in rows
