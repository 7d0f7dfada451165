"""The Repositories page: sorting, selecting all, creating layers without repeats, failures in words."""
from __future__ import annotations

import re

import pytest

from integrations.models import Repository, Workspace
from knowledge.models import KnowledgeLayer

pytestmark = pytest.mark.django_db(transaction=True)


def row_names(html: str) -> list[str]:
    return re.findall(r'<tr data-repository="([^"]+)"', html)


@pytest.fixture
def two_workspaces(signed_in, acme):
    globex = Workspace.objects.get(slug="globex")
    signed_in.post("/integrations/bitbucket/workspaces/link/", {"workspace": [globex.pk]})
    return acme, globex


def test_repositories_sort_by_each_column_both_ways(signed_in, two_workspaces):
    names = sorted(Repository.objects.values_list("name", "full_name"), key=lambda row: (row[0].lower(), row[1]))
    by_name = [full for _, full in names]
    page = signed_in.get("/knowledge/repositories/", {"sort": "name"}).content.decode()
    assert row_names(page) == by_name and '<th aria-sort="ascending"><a class="sort" href="?sort=-name">Repository</a>' in page
    page = signed_in.get("/knowledge/repositories/", {"sort": "-name"}).content.decode()
    assert row_names(page) == by_name[::-1] and 'aria-sort="descending"' in page

    workspaces = [full for _, _, full in sorted(Repository.objects.values_list("workspace__name", "name", "full_name"),
                                                key=lambda row: (row[0].lower(), row[1].lower()))]
    assert row_names(signed_in.get("/knowledge/repositories/").content.decode()) == workspaces  # the default
    updated = dict(Repository.objects.values_list("full_name", "updated_on"))
    page = signed_in.get("/knowledge/repositories/", {"sort": "updated"}).content.decode()
    shown = [updated[name] for name in row_names(page)]
    dated = [when for when in shown if when is not None]
    assert dated == sorted(dated, reverse=True) and shown == dated + [None] * (len(shown) - len(dated))  # newest first
    assert len(set(dated)) > 1 and '<th aria-sort="descending"><a class="sort" href="?sort=-updated">Updated</a>' in page

    api, web = Repository.objects.get(full_name="acme/api"), Repository.objects.get(full_name="acme/web")
    KnowledgeLayer.objects.create(repository=api, status=KnowledgeLayer.Status.ACTIVE)
    KnowledgeLayer.objects.create(repository=web, status=KnowledgeLayer.Status.FAILED, failure_reason="boom")
    order = row_names(signed_in.get("/knowledge/repositories/", {"sort": "status"}).content.decode())
    assert order[:2] == ["acme/web", "acme/api"]  # Failed first, then Active, then repositories without a layer
    order = row_names(signed_in.get("/knowledge/repositories/", {"sort": "-status"}).content.decode())
    assert order[-2:] == ["acme/api", "acme/web"]
    assert signed_in.get("/knowledge/repositories/", {"sort": "'; DROP"}).status_code == 200  # unknown: the default


def test_names_sort_whatever_their_case(signed_in, acme, bitbucket):
    bitbucket.control("POST", "/_sandbox/repositories", json=[
        {"workspace": "acme", "slug": slug, "name": name} for slug, name in [("c-lib", "C Lib"), ("certifi", "certifi"),
                                                                             ("web-shop", "Web Shop"), ("b-tool", "b tool")]])
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    names = {full: name for full, name in Repository.objects.values_list("full_name", "name")}
    by_name = [names[full] for full in row_names(signed_in.get("/knowledge/repositories/", {"sort": "name"}).content.decode())]
    assert by_name == sorted(by_name, key=str.lower) and by_name.index("certifi") < by_name.index("Web Shop")
    by_workspace = [names[full] for full in row_names(signed_in.get("/knowledge/repositories/").content.decode())]
    assert by_workspace == sorted(by_workspace, key=str.lower)


def test_sorting_filtering_and_pages_keep_each_other(signed_in, acme, bitbucket):
    bitbucket.control("POST", "/_sandbox/repositories", json=[{"workspace": "acme", "slug": f"bulk-{n:03d}"} for n in range(60)])
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    page = signed_in.get("/knowledge/repositories/", {"q": "bulk", "workspace": "acme", "sort": "-name"}).content.decode()
    assert row_names(page)[0] == "acme/bulk-059" and len(row_names(page)) == 50
    assert 'href="?q=bulk&amp;workspace=acme&amp;sort=-name&amp;page=2"' in page and "1–50 of 60 repositories" in page
    assert 'href="?q=bulk&amp;workspace=acme&amp;sort=workspace">Workspace' in page  # a new sort starts at page 1
    assert 'name="sort" value="-name"' in page  # the live filter keeps the sort
    second = signed_in.get("/knowledge/repositories/", {"q": "bulk", "workspace": "acme", "sort": "-name", "page": 2}).content.decode()
    assert row_names(second) == [f"acme/bulk-{n:03d}" for n in range(9, -1, -1)]


def test_select_all_and_the_count_of_selected_are_on_the_page_with_the_contract_words(signed_in, acme):
    page = signed_in.get("/knowledge/repositories/").content.decode()
    assert 'data-select-all="repository"' in page and 'aria-label="Select all repositories on this page"' in page
    assert 'data-selected-count="repository"' in page and "Create Knowledge Layer" in page
    boxes = re.findall(r'<input type="checkbox" name="repository"[^>]*>', page)
    assert boxes and all('hx-preserve="true"' in box and 'form="create-layers"' in box for box in boxes)  # ticks survive the live refresh


def test_creating_layers_redirects_and_a_repeat_makes_no_second_layer(signed_in, acme):
    repo = Repository.objects.get(workspace=acme, slug="api")
    answer = signed_in.post("/knowledge/layers/create/", {"repository": [repo.pk], "next": "/knowledge/repositories/?sort=-name"})
    assert answer.status_code == 302 and answer["Location"] == "/knowledge/repositories/?sort=-name"
    assert "Queued 1 knowledge layer" in signed_in.get(answer["Location"]).content.decode()
    layer = KnowledgeLayer.objects.get()
    signed_in.get(answer["Location"])  # a reload only reads
    assert list(KnowledgeLayer.objects.values_list("pk", flat=True)) == [layer.pk]
    signed_in.post("/knowledge/layers/create/", {"repository": [repo.pk]})  # sent again: the same layer, rebuilt
    assert list(KnowledgeLayer.objects.values_list("pk", flat=True)) == [layer.pk]


def test_a_listing_that_failed_part_way_is_said_in_words_where_the_repositories_are(signed_in, acme, bitbucket):
    bitbucket.control("POST", "/_sandbox/repositories", json=[{"workspace": "acme", "slug": f"more-{n:03d}"} for n in range(110)])
    bitbucket.control("POST", "/_sandbox/faults", json={"path": r"/2\.0/repositories/.*page=2", "status": 500, "times": 50})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    page = signed_in.get("/knowledge/repositories/").content.decode()
    warning = re.search(r'data-listing-error="acme">(.*?)</p>', page, re.S).group(1)
    assert "Acme Corp" in warning and "may be out of date" in warning and "nothing was changed" in warning
    assert 'data-listing-error="acme"' not in signed_in.get("/knowledge/repositories/", {"workspace": "globex"}).content.decode()
