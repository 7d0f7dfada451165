"""Workspaces and repositories stay in step with Bitbucket, and failures never prune anything."""
from __future__ import annotations

import pytest

from integrations import tasks
from integrations.models import Connection, Repository, Workspace
from integrations.services.workspaces import ACCESS_LOST

pytestmark = pytest.mark.django_db(transaction=True)


def repos_in(seed: dict, slug: str) -> int:
    return sum(1 for repo in seed["repositories"] if repo["workspace"] == slug)


@pytest.fixture
def connected(signed_in, connect_oauth):
    connect_oauth(signed_in)
    return Connection.objects.get()


def link(client, *workspaces: Workspace):
    return client.post("/integrations/bitbucket/workspaces/link/", {"workspace": [ws.pk for ws in workspaces]}, follow=True)


def test_linking_two_workspaces_makes_them_active_and_loads_every_repository(signed_in, connected, seed):
    first, second, *rest = Workspace.objects.order_by("slug")
    page = link(signed_in, first, second).content.decode()
    assert "Linked 2 workspaces" in page
    assert set(Workspace.objects.filter(status=Workspace.Status.ACTIVE)) == {first, second}
    assert all(ws.status == Workspace.Status.INACTIVE for ws in Workspace.objects.exclude(pk__in=[first.pk, second.pk]))
    for ws in (first, second):
        assert Repository.objects.filter(workspace=ws).count() == repos_in(seed, ws.slug)
    listing = signed_in.get("/knowledge/repositories/?q=").content.decode()
    assert f"{Repository.objects.filter(workspace__in=[first, second]).count()} repositor" in listing


def test_a_workspace_with_more_than_100_repositories_is_loaded_page_by_page(signed_in, connected, bitbucket):
    ws = Workspace.objects.order_by("slug").first()
    bitbucket.control("POST", "/_sandbox/repositories", json=[{"workspace": ws.slug, "slug": f"extra-{n:03d}"} for n in range(130)])
    link(signed_in, ws)
    assert Repository.objects.filter(workspace=ws, slug__startswith="extra-").count() == 130
    pages = [r for r in bitbucket.requests_seen() if r["path"].startswith("/2.0/repositories/")]
    assert len(pages) >= 2 and all(p["status"] == 200 for p in pages)  # pagelen is capped at 100


def test_a_failure_in_the_middle_of_a_listing_prunes_nothing(signed_in, connected, bitbucket):
    ws = Workspace.objects.order_by("slug").first()
    bitbucket.control("POST", "/_sandbox/repositories", json=[{"workspace": ws.slug, "slug": f"bulk-{n:03d}"} for n in range(120)])
    link(signed_in, ws)
    before = Repository.objects.filter(workspace=ws).count()
    bitbucket.control("DELETE", f"/_sandbox/repositories/{ws.slug}/bulk-000")
    for status in (429, 500):
        bitbucket.control("POST", "/_sandbox/faults", json={"path": r"/2\.0/repositories/.*page=2", "status": status, "times": 50})
        signed_in.post("/integrations/bitbucket/workspaces/refresh/")
        ws.refresh_from_db()
        assert "nothing was changed" in ws.repositories_error
        assert Repository.objects.filter(workspace=ws).count() == before
        bitbucket.control("DELETE", "/_sandbox/faults")
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    assert Repository.objects.filter(workspace=ws).count() == before - 1  # complete listing: pruned


def test_a_failed_workspace_listing_changes_nothing_and_says_so(signed_in, connected, bitbucket):
    count = Workspace.objects.count()
    bitbucket.control("POST", "/_sandbox/faults", json={"path": r"/2\.0/user/workspaces", "status": 503, "times": 50})
    page = signed_in.post("/integrations/bitbucket/workspaces/refresh/", HTTP_HX_REQUEST="true").content.decode()
    assert "Refreshing workspaces failed; nothing was changed." in page
    assert Workspace.objects.count() == count and not Workspace.objects.filter(accessible=False).exists()


def test_refresh_follows_renames_adds_new_and_marks_lost_access_inactive(signed_in, connected, bitbucket, seed):
    first, second, *_ = Workspace.objects.order_by("slug")
    link(signed_in, first, second)
    bitbucket.control("POST", f"/_sandbox/workspaces/{first.slug}/rename", json={"slug": "renamed-ws", "name": "Renamed WS"})
    bitbucket.control("POST", f"/_sandbox/workspaces/{second.slug}/members", json={"user": "alice", "role": None})
    bitbucket.control("POST", "/_sandbox/workspaces", json={"slug": "brand-new", "name": "Brand New", "members": {"alice": "member"}})
    page = signed_in.post("/integrations/bitbucket/workspaces/refresh/", HTTP_HX_REQUEST="true").content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.slug, first.name, first.status) == ("renamed-ws", "Renamed WS", Workspace.Status.ACTIVE)
    assert second.status == Workspace.Status.INACTIVE and second.inactive_reason == ACCESS_LOST
    assert Workspace.objects.filter(slug="brand-new", status=Workspace.Status.INACTIVE).exists()
    assert "Renamed WS" in page and "Brand New" in page and ACCESS_LOST in page


def test_exactly_one_workspace_is_linked_at_once(client, make_user, connect_oauth, bitbucket, seed):
    newcomer = next(u["nickname"] for u in seed["users"] if not any(u["nickname"] in ws.get("members", {}) for ws in seed["workspaces"]))
    bitbucket.control("POST", "/_sandbox/workspaces/acme/members", json={"user": newcomer, "role": "member"})
    client.force_login(make_user("solo@example.com"))
    connect_oauth(client, user=newcomer)
    ws = Workspace.objects.get()
    assert ws.status == Workspace.Status.ACTIVE
    assert Repository.objects.filter(workspace=ws).count() == repos_in(seed, ws.slug)


def test_an_expired_token_is_refreshed_and_the_rotated_refresh_token_saved(signed_in, connected, bitbucket):
    old_access, old_refresh = connected.access_token, connected.refresh_token
    bitbucket.control("POST", "/_sandbox/tokens/expire")
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    connected.refresh_from_db()
    assert connected.status == Connection.Status.CONNECTED and connected.sync_error == ""
    assert connected.access_token != old_access and connected.refresh_token != old_refresh
    # Once more: only works if the rotated refresh token was saved.
    bitbucket.control("POST", "/_sandbox/tokens/expire")
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    connected.refresh_from_db()
    assert connected.status == Connection.Status.CONNECTED and connected.sync_error == ""


def test_revoking_the_app_asks_for_reconnect_and_deletes_nothing(signed_in, connected, bitbucket):
    ws = Workspace.objects.order_by("slug").first()
    link(signed_in, ws)
    repos = Repository.objects.count()
    bitbucket.control("POST", "/_sandbox/users/alice/revoke")
    bitbucket.control("POST", "/_sandbox/tokens/expire")
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    connected.refresh_from_db()
    assert connected.status == Connection.Status.RECONNECT
    assert Repository.objects.count() == repos and Workspace.objects.filter(status=Workspace.Status.ACTIVE).count() == 1
    page = signed_in.get("/integrations/").content.decode()
    assert "Reconnect" in page and "nothing was deleted" in page
    workspaces = signed_in.get("/integrations/bitbucket/workspaces/").content.decode()
    assert workspaces.count("no longer accepts this connection") == 1  # said once
    # Jobs stop: a refresh no longer calls Bitbucket.
    seen = len(bitbucket.requests_seen())
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    assert len(bitbucket.requests_seen()) == seen


def test_another_users_workspace_answers_404(signed_in, connected, client, make_user, user, connect_oauth):
    ws = Workspace.objects.get(slug="acme")
    other = make_user("mallory@example.com")
    client.force_login(other)
    assert client.get(f"/integrations/bitbucket/workspaces/{ws.pk}/disconnect/").status_code == 404
    assert client.post(f"/integrations/bitbucket/workspaces/{ws.pk}/disconnect/").status_code == 404
    client.post("/integrations/bitbucket/workspaces/link/", {"workspace": [ws.pk]})
    ws.refresh_from_db()
    assert ws.status == Workspace.Status.INACTIVE
    assert ws.name not in client.get("/integrations/bitbucket/workspaces/").content.decode()
    assert not Workspace.objects.visible_to(other).exists()

    # Both link the same Bitbucket workspace (mallory as bob, a member of acme): each sees their own.
    connect_oauth(client, user="bob")
    theirs = Workspace.objects.get(connection__user=other, slug="acme")
    link(client, theirs)
    client.force_login(user)
    link(client, ws)
    assert Repository.objects.filter(workspace=ws).exists() and Repository.objects.filter(workspace=theirs).exists()
    for person, own in ((user, ws), (other, theirs)):
        assert set(Workspace.objects.visible_to(person).values_list("connection__user", flat=True)) == {person.pk}
        assert set(Repository.objects.visible_to(person).values_list("workspace", flat=True)) == {own.pk}
    assert client.get(f"/integrations/bitbucket/workspaces/{theirs.pk}/disconnect/").status_code == 404


def test_more_than_100_workspaces_are_all_listed(signed_in, connected, bitbucket):
    for n in range(105):
        bitbucket.control("POST", "/_sandbox/workspaces", json={"slug": f"team-{n:03d}", "name": f"Team {n:03d}", "members": {"alice": "member"}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    assert Workspace.objects.filter(slug__startswith="team-").count() == 105
    page = signed_in.get("/integrations/bitbucket/workspaces/").content.decode()
    assert "Team 000" in page and "Team 104" in page


def test_losing_access_gives_an_empty_listing_yet_deletes_nothing(signed_in, connected, bitbucket):
    ws = Workspace.objects.get(slug="acme")
    link(signed_in, ws)
    repos = Repository.objects.filter(workspace=ws).count()
    assert repos
    bitbucket.control("POST", "/_sandbox/workspaces/acme/members", json={"user": "alice", "role": None})
    tasks.sync_repositories(ws.pk)  # e.g. a push arrives, or an admin presses Refresh
    ws.refresh_from_db()
    assert Repository.objects.filter(workspace=ws).count() == repos
    assert ws.status == Workspace.Status.INACTIVE and ws.inactive_reason == ACCESS_LOST


def test_a_revoked_api_token_asks_for_reconnect_and_keeps_everything(signed_in, bitbucket, seed):
    alice = next(u for u in seed["users"] if u["nickname"] == "alice")
    token = max(alice["api_tokens"], key=lambda t: len(t["scopes"]))
    signed_in.post("/integrations/bitbucket/token/", {"email": alice["email"], "token": token["token"]})
    bitbucket.control("POST", "/_sandbox/users/alice/revoke", json={"api_tokens": True})
    count = Workspace.objects.count()
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    connection = Connection.objects.get()
    assert connection.status == Connection.Status.RECONNECT and Workspace.objects.count() == count


def test_odd_text_from_bitbucket_is_stored_cleaned_not_failed_on(signed_in, connected, bitbucket):
    bitbucket.control("POST", "/_sandbox/workspaces",
                      json={"slug": "nulws", "name": "ws\u0000name " + "x" * 400, "members": {"alice": "member"}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    connected.refresh_from_db()
    assert connected.sync_state == Connection.SyncState.IDLE and connected.sync_error == ""
    odd = Workspace.objects.get(slug="nulws")
    assert odd.name.startswith("wsname x") and len(odd.name) == 255

    bitbucket.control("POST", "/_sandbox/repositories", json={
        "workspace": "nulws", "slug": "odd", "name": "odd\u0000repo", "language": "py\u0000thon",
        "source": {"files": {"README.md": "# Odd\n"}},
    })
    link(signed_in, odd)
    repo = Repository.objects.get(workspace=odd)
    assert (repo.name, repo.language) == ("oddrepo", "python")
    assert "oddrepo" in signed_in.get("/knowledge/repositories/").content.decode()
    odd.refresh_from_db()
    assert odd.repositories_error == ""


def test_a_listing_that_cannot_be_applied_says_so_instead_of_refreshing_forever(signed_in, connected, monkeypatch):
    def broken(connection, listing):
        raise RuntimeError("a row the database refused")

    from integrations.services.workspaces import workspaces_sync

    monkeypatch.setattr("integrations.services.workspaces._apply_listing", broken)
    with pytest.raises(RuntimeError):  # the job fails loudly, for the logs and the admin's task list
        workspaces_sync(connection_id=connected.pk)
    connected.refresh_from_db()
    assert connected.sync_state == Connection.SyncState.FAILED
    assert "Refreshing workspaces failed unexpectedly; nothing was changed." in signed_in.get(
        "/integrations/bitbucket/workspaces/").content.decode()
