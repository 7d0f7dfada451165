"""The JSON API for agents, behind personal API tokens that only their owner can use: every answer
is JSON and matches the OpenAPI description the API serves, lists walk by cursor, errors say why."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from integrations.models import Repository
from knowledge.models import ApiToken, KnowledgeLayer
from knowledge.services.api_tokens import api_token_create
from tests.knowledge.search_data import MANY, build_search_layers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def layers(signed_in, acme, bitbucket):
    return build_search_layers(signed_in, bitbucket)


@pytest.fixture
def token(user) -> str:
    return api_token_create(user=user, name="agent")[1]


@pytest.fixture
def schema(client) -> dict:
    answer = client.get("/api/v1/openapi.json")  # no token needed to read the description
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    return answer.json()


def api(client, url, token, /, **params):
    answer = client.get(url, params, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer["Content-Type"] == "application/json", (url, answer.status_code)
    return answer


def conforms(schema: dict, path: str, status: int, body: dict) -> None:
    """`body` is what the served description says `path` answers with `status`."""
    registry = Registry().with_resource("urn:strata", Resource.from_contents(schema, default_specification=DRAFT202012))
    pointer = "/paths/" + path.replace("~", "~0").replace("/", "~1") + f"/get/responses/{status}/content/application~1json/schema"
    validator = Draft202012Validator({"$ref": "urn:strata#" + pointer}, registry=registry)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, (path, status, errors[:5])


def walk(client, url, token, key, /, **params) -> list[dict]:
    """Every item of a list, page by page through `next`; each page checked against `next_url`."""
    items, answer = [], api(client, url, token, **params).json()
    while True:
        items += answer[key]
        assert answer["truncated"] is (answer["next"] is not None) is (answer["next_url"] is not None)
        if not answer["next"]:
            return items
        assert parse_qs(urlsplit(answer["next_url"]).query)["cursor"] == [answer["next"]]
        answer = api(client, url, token, **params, cursor=answer["next"]).json()


def test_every_endpoint_answers_as_its_description_says(client, layers, token, schema):
    assert schema["openapi"] == "3.1.0" and schema["servers"] == [{"url": "http://testserver/api/v1"}]
    layer = layers["acme/search"]
    calls = [
        ("/layers", "/api/v1/layers", {}),
        ("/layers/{layer_id}", f"/api/v1/layers/{layer.pk}", {}),
        ("/layers/{layer_id}/files", f"/api/v1/layers/{layer.pk}/files", {}),
        ("/layers/{layer_id}/files", f"/api/v1/layers/{layer.pk}/files", {"path": "src", "limit": "2"}),
        ("/layers/{layer_id}/files/{path}", f"/api/v1/layers/{layer.pk}/files/src/alpha.py", {}),
        ("/layers/{layer_id}/symbols", f"/api/v1/layers/{layer.pk}/symbols", {"q": "needle"}),
        ("/search", "/api/v1/search", {"q": "needle"}),
        ("/search", "/api/v1/search", {"q": "COMMON_TOKEN", "kind": "content", "limit": "3"}),
        ("/search", "/api/v1/search", {"q": "sym:find_needle lang:py"}),
        ("/search", "/api/v1/search", {"q": "alpha", "kind": "path"}),
    ]
    for template, path, params in calls:
        answer = api(client, path, token, **params)
        assert answer.status_code == 200, (path, answer.json())
        conforms(schema, template, 200, answer.json())
    errors = [
        ("/layers", "/api/v1/layers", {"limit": "0"}, 400),
        ("/layers/{layer_id}", "/api/v1/layers/999999", {}, 404),
        ("/layers/{layer_id}/files", f"/api/v1/layers/{layer.pk}/files", {"path": "nowhere"}, 404),
        ("/layers/{layer_id}/files/{path}", f"/api/v1/layers/{layer.pk}/files/nowhere.py", {}, 404),
        ("/layers/{layer_id}/symbols", f"/api/v1/layers/{layer.pk}/symbols", {"cursor": "forged"}, 400),
        ("/search", "/api/v1/search", {"q": "foo:bar"}, 400),
    ]
    for template, path, params, status in errors:
        answer = api(client, path, token, **params)
        assert answer.status_code == status, (path, params)
        conforms(schema, template, status, answer.json())
    conforms(schema, "/layers", 401, client.get("/api/v1/layers").json())
    conforms(schema, "/search", 405, client.post("/api/v1/search", HTTP_AUTHORIZATION=f"Bearer {token}").json())


def empty_layer(signed_in) -> KnowledgeLayer:
    """The layer of acme/empty, a repository with no commit yet: it waits for its first push."""
    signed_in.post("/knowledge/layers/create/", {"repository": [Repository.objects.get(full_name="acme/empty").pk]})
    layer = KnowledgeLayer.objects.get(repository__full_name="acme/empty")
    assert layer.status == KnowledgeLayer.Status.EMPTY
    return layer


def test_every_status_a_layer_is_listed_with_is_in_the_description(client, signed_in, layers, token, schema):
    empty = empty_layer(signed_in)
    listed = api(client, "/api/v1/layers", token).json()
    conforms(schema, "/layers", 200, listed)
    assert [(item["repository"], item["status"]) for item in listed["layers"]] == [
        ("acme/api", "active"), ("acme/empty", "empty"), ("acme/search", "active")]
    conforms(schema, "/layers/{layer_id}", 200, api(client, f"/api/v1/layers/{empty.pk}", token).json())
    for status in KnowledgeLayer.Status:  # every status the API can show: all but deleting, which is never shown
        KnowledgeLayer.objects.filter(pk=empty.pk).update(status=status)
        detail = api(client, f"/api/v1/layers/{empty.pk}", token)
        if status == KnowledgeLayer.Status.DELETING:
            assert detail.status_code == 404
            assert "acme/empty" not in [item["repository"] for item in api(client, "/api/v1/layers", token).json()["layers"]]
        else:
            assert detail.status_code == 200 and detail.json()["status"] == status
            conforms(schema, "/layers/{layer_id}", 200, detail.json())


def test_every_link_of_a_layer_can_be_followed_as_it_comes(client, signed_in, layers, token, schema):
    for layer in [layers["acme/search"], empty_layer(signed_in)]:
        detail = api(client, f"/api/v1/layers/{layer.pk}", token).json()
        for name, url in detail["links"].items():
            answer = api(client, url, token)
            assert answer.status_code == 200, (layer, name, url, answer.json())
        template = detail["templates"]["search"]
        assert template.endswith("{&q}")
        search = template.replace("{&q}", "&" + urlencode({"q": "needle"}))  # RFC 6570 form-style continuation
        answer = api(client, search, token)
        assert answer.status_code == 200, (layer, search, answer.json())
        conforms(schema, "/search", 200, answer.json())
        assert {r["repository"] for r in answer.json()["results"]} <= {layer.repository.full_name}
    assert api(client, search.replace("q=needle", "q=x"), token).json()["results"] == []  # the empty layer: nothing yet


def test_an_unknown_symbol_kind_or_repository_is_a_400_naming_what_exists(client, layers, token, schema):
    layer = layers["acme/search"]
    wrong_kind = api(client, f"/api/v1/layers/{layer.pk}/symbols", token, kind="nope")
    assert wrong_kind.status_code == 400
    message = wrong_kind.json()["error"]["message"]
    assert "'nope'" in message and "function" in message and "class" in message
    conforms(schema, "/layers/{layer_id}/symbols", 400, wrong_kind.json())
    enum = next(p for p in schema["paths"]["/layers/{layer_id}/symbols"]["get"]["parameters"] if p["name"] == "kind")["schema"]["enum"]
    for kind in enum:
        assert api(client, f"/api/v1/layers/{layer.pk}/symbols", token, kind=kind).status_code == 200, kind
    for params, says in [({"q": "x", "repo": "nope/nope"}, "No knowledge layer of yours is called nope/nope"),
                         ({"q": "repo:nosuch x"}, "repo:nosuch matches none of your knowledge layers")]:
        answer = api(client, "/api/v1/search", token, **params)
        assert answer.status_code == 400, params
        assert answer.json()["error"]["message"].startswith(says) and "acme/api, acme/search" in answer.json()["error"]["message"]
        conforms(schema, "/search", 400, answer.json())


def test_snippets_are_plain_text_with_offsets_of_the_matches(client, layers, token):
    results = api(client, "/api/v1/search", token, q="needle", kind="content").json()["results"]
    hostile = next(r for r in results if r["path"] == "src/hostile.py")
    excerpt = hostile["excerpts"][0]
    assert excerpt["snippet"] == "TEMPLATE = \"<script>alert('needle')</script> &amp; needle\"" and excerpt["line"] == 1
    assert [excerpt["snippet"][s:e] for s, e in excerpt["matches"]] == ["needle", "needle"]
    for result in results:
        for e in result["excerpts"]:
            assert "<mark>" not in e["snippet"] and all(e["snippet"][s:e_].lower() == "needle" for s, e_ in e["matches"])
    long = next(r for r in results if r["path"] == "src/long.py")["excerpts"][0]
    assert long["snippet"].startswith("…") and long["snippet"].endswith("…") and len(long["snippet"]) <= 242
    paths = api(client, "/api/v1/search", token, q="alpha", kind="path").json()["results"]
    assert [(r["path"], [r["path"][s:e] for s, e in r["path_matches"]]) for r in paths] == [("src/alpha.py", ["alpha"])]


def test_search_counts_and_cursor_walk_every_result_exactly_once(client, layers, token):
    first = api(client, "/api/v1/search", token, q="COMMON_TOKEN", limit="7").json()
    assert first["counts"]["content"] == {"value": MANY, "exact": True, "text": str(MANY)}
    results = walk(client, "/api/v1/search", token, "results", q="COMMON_TOKEN", limit="7")
    content = [(r["repository"], r["path"]) for r in results if r["kind"] == "content"]
    assert len(content) == len(set(content)) == MANY
    kinds = [r["kind"] for r in results]
    assert kinds == sorted(kinds, key=["symbol", "path", "content"].index)  # symbols, then paths, then content


def test_lists_walk_every_item_exactly_once(client, layers, token):
    layer = layers["acme/search"]
    assert [item["repository"] for item in walk(client, "/api/v1/layers", token, "layers", limit="1")] == ["acme/api", "acme/search"]
    root = walk(client, f"/api/v1/layers/{layer.pk}/files", token, "entries", limit="2")
    assert [(e["type"], e["path"]) for e in root] == [("dir", "docs/"), ("dir", "many/"), ("dir", "src/"), ("dir", "vendor/")]
    assert [e["files"] for e in root] == [1, MANY, 4, 1]
    many = walk(client, f"/api/v1/layers/{layer.pk}/files", token, "entries", path="many/", limit="10")
    assert [e["name"] for e in many] == [f"m{n:02}.py" for n in range(MANY)] and all(e["type"] == "file" for e in many)
    names = [s["name"] for s in walk(client, f"/api/v1/layers/{layer.pk}/symbols", token, "symbols", limit="2")]
    assert names == sorted(names) and len(names) >= 3
    assert [s["name"] for s in walk(client, f"/api/v1/layers/{layer.pk}/symbols", token, "symbols", kind="class")] == ["NeedleCase"]


def test_search_takes_the_pages_syntax_and_filters(client, layers, token):
    def paths(**params):
        return [(r["kind"], r["path"]) for r in api(client, "/api/v1/search", token, **params).json()["results"]]

    assert paths(q="needle lang:js", kind="content") == [("content", "src/beta.js")]
    assert paths(q="needle", lang="javascript", kind="content") == [("content", "src/beta.js")]
    assert paths(q="create_app", repo="acme/search") == []
    assert paths(q='"foo bar"', kind="content") == [("content", "src/alpha.py")]
    assert paths(q="needlecase case:yes", kind="content") == []
    assert paths(q="sym:needle") == [("symbol", "src/beta.js"), ("symbol", "src/alpha.py"), ("symbol", "src/alpha.py")]


def test_a_cursor_for_another_query_or_rebuilt_layers_is_refused(client, signed_in, layers, token):
    cursor = api(client, "/api/v1/search", token, q="COMMON_TOKEN", limit="5").json()["next"]
    other = api(client, "/api/v1/search", token, q="needle", cursor=cursor)
    assert other.status_code == 400 and "another query" in other.json()["error"]["message"]
    signed_in.post(f"/knowledge/layers/{layers['acme/search'].pk}/retry/")  # a rebuild: new generation
    stale = api(client, "/api/v1/search", token, q="COMMON_TOKEN", limit="5", cursor=cursor)
    assert stale.status_code == 400 and "The layers changed" in stale.json()["error"]["message"]
    layer_cursor = api(client, "/api/v1/layers", token, limit="1").json()["next"]
    wrong_list = api(client, f"/api/v1/layers/{layers['acme/search'].pk}/symbols", token, cursor=layer_cursor)
    assert wrong_list.status_code == 400 and "another list" in wrong_list.json()["error"]["message"]


def test_hostile_input_answers_400_in_json(client, layers, token):
    layer = layers["acme/search"]
    for path, params in [("/api/v1/search", {"q": "a\x00"}), ("/api/v1/search", {"q": "x" * 5000}), ("/api/v1/search", {"q": ""}),
                         ("/api/v1/search", {"q": "x", "cursor": "garbage"}), ("/api/v1/search", {"q": "x", "kind": "all-of-it"}),
                         ("/api/v1/search", {"q": "x", "lang": "klingonese"}), ("/api/v1/search", {"q": '"open'}),
                         ("/api/v1/search", {"q": "x", "limit": "1000"}), ("/api/v1/search", {"q": "x", "limit": "-1"}),
                         (f"/api/v1/layers/{layer.pk}/symbols", {"q": "\x00"}), (f"/api/v1/layers/{layer.pk}/files", {"path": "a\x00"}),
                         ("/api/v1/layers", {"cursor": "x" * 5000}), ("/api/v1/layers", {"limit": "²"})]:
        answer = api(client, path, token, **params)
        assert answer.status_code == 400 and answer.json()["error"]["message"], (path, params)
    for path in ["acme/app.py%00", "..%2F..%2Fetc%2Fpasswd"]:
        assert api(client, f"/api/v1/layers/{layer.pk}/files/{path}", token).status_code == 404
    for odd in ["%_", "'; DROP TABLE x; --", "(?=x)", "\\", "[", "İİ"]:
        assert api(client, "/api/v1/search", token, q=odd).status_code == 200, odd


def test_unknown_paths_wrong_methods_and_missing_tokens_answer_in_json(client, layers, token):
    for path in ["/api/v1/nope", "/api/v1/layers/", "/api/v1/layers/abc", "/api/v1/layers/1/nope", "/api/v1", "/api/v2/layers"]:
        answer = api(client, path, token)
        assert answer.status_code == 404 and "error" in answer.json(), path
    agent = Client(enforce_csrf_checks=True)  # as a real agent meets it: no CSRF cookie, no token
    for method in (agent.post, agent.put, agent.delete, agent.patch):
        answer = method("/api/v1/layers", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert answer.status_code == 405 and answer.json()["error"]["message"] == "The API only reads: use GET."
        assert answer["Allow"] == "GET, HEAD"
    refused = client.get("/api/v1/layers")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == 'Bearer realm="strata"' and refused.json()["error"]
    assert client.get("/api/v1/layers", HTTP_AUTHORIZATION="Bearer strata_wrong").status_code == 401


def test_a_revoked_token_is_refused(signed_in, client, layers, token):
    signed_in.post(f"/profile/tokens/{ApiToken.objects.get().pk}/revoke/")
    refused = api(client, "/api/v1/layers", token)
    assert refused.status_code == 401 and "token" in refused.json()["error"]["message"]


def test_another_users_token_sees_none_of_these_layers(client, layers, make_user):
    eve = api_token_create(user=make_user("eve@example.com"), name="eve's agent")[1]
    layer = layers["acme/search"]
    assert api(client, "/api/v1/layers", eve).json()["layers"] == []
    for path in [f"/api/v1/layers/{layer.pk}", f"/api/v1/layers/{layer.pk}/files", f"/api/v1/layers/{layer.pk}/files/src/alpha.py",
                 f"/api/v1/layers/{layer.pk}/symbols"]:
        answer = api(client, path, eve)
        assert answer.status_code == 404 and answer.json() == {"error": {"message": "No such knowledge layer."}}, path
    found = api(client, "/api/v1/search", eve, q="needle").json()
    assert found["results"] == [] and all(total["value"] == 0 for total in found["counts"].values())


def test_layers_stay_listed_while_bitbucket_waits_to_be_reconnected(client, layers, token):
    from integrations.models import Connection

    Connection.objects.update(status=Connection.Status.RECONNECT)
    assert [item["status"] for item in api(client, "/api/v1/layers", token).json()["layers"]] == ["active", "active"]
    assert api(client, "/api/v1/search", token, q="create_app").json()["results"]
    Connection.objects.update(status=Connection.Status.DISCONNECTING)  # on its way out: gone from view at once
    assert api(client, "/api/v1/layers", token).json()["layers"] == []


@pytest.mark.django_db(transaction=False)
def test_a_server_error_is_answered_in_json(user, token):
    from django.db import connection

    with connection.cursor() as cursor:  # the database loses a table: a real fault, undone with the test's transaction
        cursor.execute("ALTER TABLE knowledge_knowledgelayer RENAME TO knowledge_knowledgelayer_gone")
    answer = Client(raise_request_exception=False).get("/api/v1/layers", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 500 and answer["Content-Type"] == "application/json"
    assert answer.json() == {"error": {"message": "Something went wrong on our side; it has been logged. Try again later."}}
