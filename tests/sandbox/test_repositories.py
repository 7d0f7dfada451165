"""Repositories: listing with role/q/sort and pagination past 100, one repository, branches, commits."""
from __future__ import annotations

import pytest

from tests.sandbox.helpers import BOB, get
from tests.sandbox.openapi import validate

LIST = "/repositories/{workspace}"
ONE = "/repositories/{workspace}/{repo_slug}"


def slugs(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    validate(answer.json(), LIST)
    return [r["slug"] for r in answer.json()["values"]]


def test_listing_matches_the_spec_and_the_seed(sandbox):
    assert slugs(get(sandbox, "/2.0/repositories/acme")) == ["api", "empty", "idna", "web"]


def test_outsiders_see_public_repositories_only(sandbox):
    assert slugs(get(sandbox, "/2.0/repositories/umbrella")) == ["public-site"]
    assert slugs(get(sandbox, "/2.0/repositories/umbrella?role=member")) == []
    assert slugs(get(sandbox, "/2.0/repositories/umbrella", auth=BOB)) == ["public-site", "secret"]
    assert get(sandbox, "/2.0/repositories/umbrella/secret").status_code == 404
    assert get(sandbox, "/2.0/repositories/nowhere").status_code == 404


@pytest.mark.parametrize("role, expected", [("member", 4), ("contributor", 4), ("admin", 4), ("owner", 4)])
def test_role_filter_for_an_owner(sandbox, role, expected):
    assert len(slugs(get(sandbox, f"/2.0/repositories/acme?role={role}"))) == expected


def test_role_filter_for_a_member(sandbox):
    assert slugs(get(sandbox, "/2.0/repositories/globex?role=member")) == ["legacy", "service"]
    assert slugs(get(sandbox, "/2.0/repositories/globex?role=admin")) == []
    assert get(sandbox, "/2.0/repositories/globex?role=king").status_code == 400


@pytest.mark.parametrize("query, expected", [
    ('name ~ "e"', ["empty", "web"]),
    ('name ~ "API"', ["api"]),
    ('slug = "idna"', ["idna"]),
    ('name = "Web"', ["web"]),
    ('name ~ "e" and is_private = false', ["web"]),
    ('slug = "api" or slug = "web"', ["api", "web"]),
    ('(language = "python") and updated_on > "2024-06-15"', ["idna"]),
    ('project.key = "PROJ"', ["api", "empty", "idna", "web"]),
])
def test_q_filters(sandbox, query, expected):
    assert slugs(get(sandbox, "/2.0/repositories/acme", params={"q": query})) == expected


def test_invalid_q_is_400(sandbox):
    for query in ('name ~', 'nonsense = "x"', 'name = "a" xor slug = "b"', '(name = "a"'):
        answer = get(sandbox, "/2.0/repositories/acme", params={"q": query})
        assert answer.status_code == 400, query
        assert answer.json()["type"] == "error"


def test_sort(sandbox):
    assert slugs(get(sandbox, "/2.0/repositories/acme?sort=-updated_on")) == ["idna", "api", "web", "empty"]
    assert slugs(get(sandbox, "/2.0/repositories/acme?sort=name")) == ["api", "empty", "idna", "web"]
    assert get(sandbox, "/2.0/repositories/acme?sort=nonsense").status_code == 400


def test_pagination_past_100(sandbox_clean):
    sandbox_clean.control("POST", "/_sandbox/workspaces", json={"slug": "bulk", "members": {"alice": "member"}})
    created = sandbox_clean.control("POST", "/_sandbox/repositories", json=[
        {"workspace": "bulk", "slug": f"repo-{n:03d}", "source": {"files": {"README.md": f"# {n}\n"}}}
        for n in range(123)])
    assert created.status_code == 201 and len(created.json()) == 123
    first = get(sandbox_clean, "/2.0/repositories/bulk").json()
    assert first["pagelen"] == 10 and len(first["values"]) == 10 and first["size"] == 123
    page = get(sandbox_clean, "/2.0/repositories/bulk?pagelen=500&role=member").json()
    validate(page, LIST)
    assert page["pagelen"] == 100 and len(page["values"]) == 100 and "previous" not in page
    assert page["next"].startswith(sandbox_clean.url + "/2.0/repositories/bulk?")
    seen = [r["slug"] for r in page["values"]]
    while "next" in page:
        page = get(sandbox_clean, page["next"]).json()
        assert page["previous"]
        seen += [r["slug"] for r in page["values"]]
    assert seen == [f"repo-{n:03d}" for n in range(123)]
    assert page["page"] == 2 and len(page["values"]) == 23


def test_next_links_follow_the_host_the_client_used(sandbox):
    other_host = sandbox.url.replace("127.0.0.1", "localhost")
    page = get(sandbox, other_host + "/2.0/repositories/acme?pagelen=1").json()
    assert page["next"].startswith(other_host + "/2.0/repositories/acme?")


def test_one_repository_by_slug_and_by_uuid(sandbox):
    repo = get(sandbox, "/2.0/repositories/acme/api").json()
    validate(repo, ONE)
    assert repo["full_name"] == "acme/api" and repo["uuid"] == "{a1c0e000-0000-4000-8000-0000000000a1}"
    assert repo["mainbranch"] == {"type": "branch", "name": "main"}
    assert repo["is_private"] is True and repo["language"] == "python" and repo["size"] > 0
    assert {c["name"] for c in repo["links"]["clone"]} == {"https", "ssh"}
    assert repo["links"]["html"]["href"] == sandbox.url + "/acme/api"
    by_uuid = get(sandbox, "/2.0/repositories/{a1c0e000-0000-4000-8000-000000000001}/"
                           "%7Ba1c0e000-0000-4000-8000-0000000000a1%7D").json()
    assert by_uuid["uuid"] == repo["uuid"]


def test_empty_repository_has_no_mainbranch(sandbox):
    repo = get(sandbox, "/2.0/repositories/acme/empty").json()
    validate(repo, ONE)
    assert "mainbranch" not in repo
    assert get(sandbox, "/2.0/repositories/acme/empty/refs/branches").json()["values"] == []
    assert get(sandbox, "/2.0/repositories/acme/empty/src").status_code == 404


def test_branches(sandbox):
    answer = get(sandbox, "/2.0/repositories/acme/api/refs/branches").json()
    validate(answer, "/repositories/{workspace}/{repo_slug}/refs/branches")
    names = [b["name"] for b in answer["values"]]
    assert names == ["docs/tidy", "feature/login", "main"]
    login = get(sandbox, "/2.0/repositories/acme/api/refs/branches/feature/login").json()
    validate(login, "/repositories/{workspace}/{repo_slug}/refs/branches/{name}")
    assert len(login["target"]["hash"]) == 40 and login["target"]["message"] == "Add login"
    assert login["target"]["author"]["user"]["nickname"] == "bob"
    assert get(sandbox, "/2.0/repositories/acme/api/refs/branches/nope").status_code == 404


def test_commits(sandbox):
    answer = get(sandbox, "/2.0/repositories/acme/api/commits/feature/login").json()
    validate(answer, "/repositories/{workspace}/{repo_slug}/commits")
    messages = [c["message"] for c in answer["values"]]
    assert messages == ["Add login", "Initial commit"]
    head = answer["values"][0]
    assert head["parents"][0]["hash"] == answer["values"][1]["hash"]
    one = get(sandbox, f"/2.0/repositories/acme/api/commit/{head['hash'][:12]}").json()
    assert one["hash"] == head["hash"]
    only_new = get(sandbox, "/2.0/repositories/acme/api/commits",
                   params={"include": head["hash"], "exclude": "main"}).json()
    assert [c["hash"] for c in only_new["values"]] == [head["hash"]]
