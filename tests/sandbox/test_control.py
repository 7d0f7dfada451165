"""The control API's changes are what the REST API then shows: members, renames, removals, reset."""
from __future__ import annotations

from tests.sandbox.helpers import get, send


def workspaces_of_alice(sandbox) -> set[str]:
    return {v["workspace"]["slug"] for v in get(sandbox, "/2.0/user/workspaces").json()["values"]}


def test_membership_gives_and_takes_access(sandbox_clean):
    assert sandbox_clean.control("POST", "/_sandbox/workspaces/umbrella/members",
                                 json={"user": "alice", "role": "member"}).status_code == 200
    assert "umbrella" in workspaces_of_alice(sandbox_clean)
    assert get(sandbox_clean, "/2.0/repositories/umbrella/secret").status_code == 200
    sandbox_clean.control("POST", "/_sandbox/workspaces/acme/members", json={"user": "alice", "role": None})
    assert workspaces_of_alice(sandbox_clean) == {"globex", "initech", "umbrella"}
    assert get(sandbox_clean, "/2.0/repositories/acme/api").status_code == 404
    assert get(sandbox_clean, "/2.0/repositories/acme/web").status_code == 200     # public
    bad = sandbox_clean.control("POST", "/_sandbox/workspaces/acme/members", json={"user": "alice", "role": "king"})
    assert bad.status_code == 400


def test_repository_rename_keeps_the_uuid(sandbox_clean):
    before = get(sandbox_clean, "/2.0/repositories/acme/api").json()
    renamed = sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/rename",
                                    json={"slug": "api-v2", "name": "API v2"})
    assert renamed.status_code == 200
    assert get(sandbox_clean, "/2.0/repositories/acme/api").status_code == 404
    after = get(sandbox_clean, "/2.0/repositories/acme/api-v2").json()
    assert after["uuid"] == before["uuid"] and after["name"] == "API v2"
    assert after["full_name"] == "acme/api-v2"
    assert get(sandbox_clean, f"/2.0/repositories/acme/{before['uuid']}").json()["slug"] == "api-v2"
    taken = sandbox_clean.control("POST", "/_sandbox/repositories/acme/api-v2/rename", json={"slug": "web"})
    assert taken.status_code == 400


def test_workspace_rename_moves_its_repositories(sandbox_clean):
    sandbox_clean.control("POST", "/_sandbox/workspaces/acme/rename", json={"slug": "acme-inc", "name": "Acme Inc"})
    assert "acme-inc" in workspaces_of_alice(sandbox_clean)
    assert get(sandbox_clean, "/2.0/repositories/acme-inc/api").json()["workspace"]["name"] == "Acme Inc"
    assert get(sandbox_clean, "/2.0/repositories/acme/api").status_code == 404
    assert get(sandbox_clean, "/2.0/repositories/{a1c0e000-0000-4000-8000-000000000001}/api").status_code == 200


def test_removals(sandbox_clean):
    hook = send(sandbox_clean, "POST", "/2.0/repositories/acme/api/hooks",
                json={"url": "http://127.0.0.1:9/h", "events": ["repo:push"]}).json()
    assert sandbox_clean.control("DELETE", "/_sandbox/repositories/acme/api").status_code == 204
    assert get(sandbox_clean, "/2.0/repositories/acme/api").status_code == 404
    assert get(sandbox_clean, f"/2.0/repositories/acme/api/hooks/{hook['uuid']}").status_code == 404
    assert sandbox_clean.control("DELETE", "/_sandbox/workspaces/globex").status_code == 204
    assert "globex" not in workspaces_of_alice(sandbox_clean)
    assert get(sandbox_clean, "/2.0/repositories/globex").status_code == 404


def test_new_workspace_and_user(sandbox_clean):
    made = sandbox_clean.control("POST", "/_sandbox/workspaces",
                                 json={"slug": "hooli", "name": "Hooli", "members": {"alice": "owner"}})
    assert made.status_code == 201 and made.json()["uuid"].startswith("{")
    assert "hooli" in workspaces_of_alice(sandbox_clean)
    assert sandbox_clean.control("POST", "/_sandbox/workspaces", json={"slug": "hooli"}).status_code == 400
    assert sandbox_clean.control("POST", "/_sandbox/workspaces", json={"slug": "Bad Slug"}).status_code == 400
    user = sandbox_clean.control("POST", "/_sandbox/users", json={"nickname": "dave"})
    assert user.status_code == 201 and user.json()["nickname"] == "dave"


def test_reset_restores_the_seed(sandbox_clean):
    sandbox_clean.control("DELETE", "/_sandbox/repositories/acme/api")
    sandbox_clean.control("POST", "/_sandbox/ratelimit", json={"limit": 1})
    sandbox_clean.control("POST", "/_sandbox/faults", json={"path": ".", "status": 500, "times": None})
    sandbox_clean.reset()
    assert get(sandbox_clean, "/2.0/repositories/acme/api").status_code == 200
    assert get(sandbox_clean, "/2.0/repositories/acme/api").status_code == 200
    assert [r["path"] for r in sandbox_clean.requests_seen()] == ["/2.0/repositories/acme/api"] * 2


def test_seeded_history_is_deterministic_across_resets(sandbox_clean):
    before = get(sandbox_clean, "/2.0/repositories/acme/api/refs/branches").json()
    sandbox_clean.reset()
    assert get(sandbox_clean, "/2.0/repositories/acme/api/refs/branches").json() == before


def test_a_commit_message_with_a_lone_surrogate_is_accepted(sandbox_clean):
    # As a JSON escape can carry one: Bitbucket stores what it is sent.
    made = sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/commits",
                                 json={"files": {"a.py": "x"}, "message": "m\ud800"})
    assert made.status_code == 201 and len(made.json()["hash"]) == 40


def test_control_errors(sandbox_clean):
    assert sandbox_clean.control("POST", "/_sandbox/repositories/acme/nope/commits", json={}).status_code == 404
    assert sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/commits",
                                 json={"files": {"../x": "y"}}).status_code == 400
    assert sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/commits",
                                 json={"delete": ["missing.txt"]}).status_code == 400
    assert sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/pullrequests",
                                 json={"source": "no-such-branch"}).status_code == 400
    assert sandbox_clean.control("GET", "/_sandbox/nothing-here").status_code == 404
