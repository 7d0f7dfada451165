"""Link Workspace and Integrations as a user reads them: live counts, what Refresh did, one Reconnect card."""
from __future__ import annotations

import re

import pytest
from django.db import transaction

from integrations import tasks
from integrations.models import Connection, Repository, Workspace
from integrations.services.workspaces import workspaces_link
from knowledge.models import KnowledgeLayer

pytestmark = pytest.mark.django_db(transaction=True)

PARTIAL = "/integrations/bitbucket/workspaces/list/"


def outcome(html: str) -> str:
    found = re.search(r"data-refresh-outcome>(.*?)</span>\s*</div>", html, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found)).strip()


def test_refresh_says_what_it_found_in_words(signed_in, acme, bitbucket):
    repositories = Repository.objects.filter(workspace=acme).count()
    accessible = Workspace.objects.count()
    bitbucket.control("POST", "/_sandbox/workspaces", json={"slug": "brand-new", "name": "Brand New", "members": {"alice": "member"}})
    page = signed_in.post("/integrations/bitbucket/workspaces/refresh/", HTTP_HX_REQUEST="true").content.decode()
    said = outcome(page)
    assert said.startswith("Refreshed")
    assert f"{accessible + 1} workspaces, 1 new, {repositories} repositories in linked workspaces." in said


def test_a_refresh_that_fails_says_so_in_words(signed_in, acme, bitbucket):
    bitbucket.control("POST", "/_sandbox/faults", json={"path": r"/2\.0/user/workspaces", "status": 503, "times": 50})
    page = signed_in.post("/integrations/bitbucket/workspaces/refresh/", HTTP_HX_REQUEST="true").content.decode()
    assert outcome(page).startswith("Refreshing workspaces failed; nothing was changed.")


def test_repository_counts_update_live_while_a_listing_runs(signed_in, connect_oauth):
    connect_oauth(signed_in)
    acme = Workspace.objects.get(slug="acme")
    with transaction.atomic():  # the listing job runs when this commits: the page meanwhile
        workspaces_link(connection=Connection.objects.get(), workspace_ids=[acme.pk])
        page = signed_in.get(PARTIAL).content.decode()
        row = page.split('data-workspace="acme"')[1].split("</tr>")[0]
        assert f'hx-get="{PARTIAL}" hx-trigger="every 1s"' in page and "loading…" in row
        assert outcome(page) == "Loading the repositories of Acme Corp…"
    page = signed_in.get(PARTIAL).content.decode()
    count = Repository.objects.filter(workspace=acme).count()
    row = page.split('data-workspace="acme"')[1].split("</tr>")[0]
    assert count and re.search(rf"data-repository-count>\s*{count}\s*</td>", row) and "hx-trigger" not in page

    # A listing whose worker died is not waited for longer than a job may run.
    Workspace.objects.filter(pk=acme.pk).update(repositories_loading_since="2000-01-01T00:00:00Z")
    assert "hx-trigger" not in signed_in.get(PARTIAL).content.decode()
    tasks.sync_repositories(acme.pk)
    acme.refresh_from_db()
    assert acme.repositories_loading_since is None


def test_a_listing_that_failed_part_way_is_said_in_words_on_link_workspace(signed_in, acme, bitbucket):
    bitbucket.control("POST", "/_sandbox/repositories", json=[{"workspace": "acme", "slug": f"more-{n:03d}"} for n in range(110)])
    bitbucket.control("POST", "/_sandbox/faults", json={"path": r"/2\.0/repositories/.*page=2", "status": 500, "times": 50})
    page = signed_in.post("/integrations/bitbucket/workspaces/refresh/", HTTP_HX_REQUEST="true").content.decode()
    row = page.split('data-workspace="acme"')[1].split("</tr>")[0]
    note = re.search(r'<p class="cell-error" role="note">(.*?)</p>', row, re.S).group(1)
    assert "Loading repositories failed; nothing was changed." in note and "last complete listing" in note
    assert "could not all be loaded" in outcome(page) and "Acme Corp" in outcome(page)
    assert 'title="' not in row  # said in words, not in a tooltip


def test_the_reconnect_state_is_one_card_on_every_page(signed_in, acme, bitbucket):
    from knowledge.models import KnowledgeLayer as Layer

    signed_in.post("/knowledge/layers/create/", {"repository": [Repository.objects.get(full_name="acme/api").pk]})
    bitbucket.control("POST", "/_sandbox/users/alice/revoke")
    bitbucket.control("POST", "/_sandbox/tokens/expire")
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    assert Connection.objects.get().status == Connection.Status.RECONNECT
    layer = Layer.objects.get()
    for url in ("/integrations/", "/integrations/bitbucket/workspaces/", "/knowledge/", "/knowledge/repositories/",
                f"/knowledge/layers/{layer.pk}/"):
        html = signed_in.get(url).content.decode()
        assert html.count("data-reconnect") == 1, url
        assert html.count("nothing was deleted") == 1 and html.count("no longer accepts this connection") == 1, url
        assert re.search(r'<button class="primary" type="submit">Reconnect</button>', html), url
    repositories = signed_in.get("/knowledge/repositories/").content.decode()
    assert re.search(r'<button class="primary" type="submit" disabled>Create Knowledge Layer</button>', repositories)
    assert KnowledgeLayer.objects.get().status == KnowledgeLayer.Status.ACTIVE
    link = signed_in.get("/integrations/bitbucket/workspaces/").content.decode()
    assert re.search(r'<button class="primary" type="submit" disabled>Link</button>', link)
    globex = Workspace.objects.get(slug="globex")
    answer = signed_in.post("/integrations/bitbucket/workspaces/link/", {"workspace": [globex.pk]}, follow=True).content.decode()
    assert "Nothing was linked: Bitbucket must be reconnected first." in answer and "Linked 0" not in answer
    globex.refresh_from_db()
    assert globex.status != Workspace.Status.ACTIVE


def test_a_refused_api_token_keeps_the_email_typed_and_saves_nothing(signed_in, bitbucket, seed):
    alice = next(u for u in seed["users"] if u["nickname"] == "alice")
    answer = signed_in.post("/integrations/bitbucket/token/", {"email": alice["email"], "token": "not-a-token"})
    html = answer.content.decode()
    assert answer.status_code == 400 and f'value="{alice["email"]}"' in html and "not-a-token" not in html
    assert "did not accept this e-mail and API token" in html and not Connection.objects.exists()


def test_right_after_connecting_link_workspace_waits_for_the_listing_and_never_for_a_dead_worker(signed_in, connect_oauth):
    with transaction.atomic():  # the listing job runs when this commits: the page meanwhile
        connect_oauth(signed_in)
        page = signed_in.get(PARTIAL).content.decode()
        assert f'hx-get="{PARTIAL}" hx-trigger="every 1s"' in page and outcome(page) == "Refreshing workspaces…"
        assert "Loading your workspaces…" in page and re.search(r"<button[^>]*disabled>Refresh</button>", page, re.S)
    page = signed_in.get(PARTIAL).content.decode()
    assert 'data-workspace="acme"' in page and "hx-trigger" not in page
    # A refresh whose worker died long ago is not waited for: the page stops polling and Refresh works again.
    Connection.objects.update(sync_state=Connection.SyncState.RUNNING, updated_at="2000-01-01T00:00:00Z")
    page = signed_in.get(PARTIAL).content.decode()
    assert "hx-trigger" not in page and not re.search(r"<button[^>]*disabled>Refresh</button>", page, re.S)
