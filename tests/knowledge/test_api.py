"""The JSON API for agents, behind personal API tokens that only their owner can use."""
from __future__ import annotations

import pytest

from integrations.models import Repository
from knowledge.models import ApiToken, KnowledgeLayer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def layer(signed_in, acme):
    signed_in.post("/knowledge/layers/create/", {"repository": [Repository.objects.get(workspace=acme, slug="api").pk]})
    return KnowledgeLayer.objects.get()


def new_token(client, name="agent") -> str:
    page = client.post("/profile/tokens/", {"name": name}, follow=True).content.decode()
    start = page.index('<code id="new-token">') + len('<code id="new-token">')
    return page[start:page.index("</code>", start)]


def api(client, path, token):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_token_is_shown_once_stored_hashed_and_opens_the_api(signed_in, layer, client):
    token = new_token(signed_in)
    assert token.startswith("strata_")
    assert token not in signed_in.get("/profile/").content.decode()  # shown once
    assert not ApiToken.objects.filter(token_hash=token).exists() and ApiToken.objects.get().prefix == token[:12]

    layers = api(client, "/api/v1/layers", token).json()["layers"]
    assert [(item["id"], item["repository"], item["status"]) for item in layers] == [(layer.pk, "acme/api", "active")]
    results = api(client, "/api/v1/search?q=create_app", token).json()["results"]
    assert {"kind": "symbol", "path": "acme/app.py", "line": 4}.items() <= results[0].items()
    file = api(client, f"/api/v1/layers/{layer.pk}/files/acme/app.py", token).json()
    assert "def create_app" in file["content"] and file["language"] == "Python"
    symbols = api(client, f"/api/v1/layers/{layer.pk}/symbols?q=connect", token).json()["symbols"]
    assert [(s["name"], s["path"], s["line"]) for s in symbols] == [("connect", "acme/db.py", 1)]


def test_no_token_a_wrong_token_or_a_revoked_token_is_refused(signed_in, layer, client):
    token = new_token(signed_in)
    assert client.get("/api/v1/layers").status_code == 401
    assert api(client, "/api/v1/layers", "strata_wrong").status_code == 401
    signed_in.post(f"/profile/tokens/{ApiToken.objects.get().pk}/revoke/")
    refused = api(client, "/api/v1/layers", token)
    assert refused.status_code == 401 and "token" in refused.json()["error"]["message"]


def test_another_users_token_sees_none_of_these_layers(signed_in, layer, client, make_user):
    client.force_login(make_user("eve@example.com"))
    token = new_token(client, "eve's agent")
    assert api(client, "/api/v1/layers", token).json()["layers"] == []
    assert api(client, f"/api/v1/layers/{layer.pk}/files/acme/app.py", token).status_code == 404
    assert api(client, f"/api/v1/layers/{layer.pk}/symbols", token).status_code == 404
    assert api(client, "/api/v1/search?q=create_app", token).json()["results"] == []


def test_layers_stay_listed_while_bitbucket_waits_to_be_reconnected(signed_in, layer, client, bitbucket):
    from integrations.models import Connection

    token = new_token(signed_in)
    Connection.objects.update(status=Connection.Status.RECONNECT)
    layers = api(client, "/api/v1/layers", token).json()["layers"]
    assert [(item["id"], item["status"]) for item in layers] == [(layer.pk, "active")]
    assert api(client, "/api/v1/search?q=create_app", token).json()["results"]
    Connection.objects.update(status=Connection.Status.DISCONNECTING)  # on its way out: gone from view at once
    assert api(client, "/api/v1/layers", token).json()["layers"] == []


def test_odd_api_input_answers_in_json(signed_in, layer, client):
    token = new_token(signed_in)
    for query in ["a\x00", "\x00", "%_", "x" * 5000]:
        assert api(client, f"/api/v1/layers/{layer.pk}/symbols?q={query}", token).status_code == 200
        assert api(client, f"/api/v1/search?q={query}", token).status_code in (200, 400)
    for path in ["acme/app.py%00", "..%2F..%2Fetc%2Fpasswd"]:
        answer = api(client, f"/api/v1/layers/{layer.pk}/files/{path}", token)
        assert answer.status_code == 404 and answer["Content-Type"] == "application/json"


def test_writing_to_the_api_answers_405_in_json(signed_in, layer):
    from django.test import Client

    token = new_token(signed_in)
    client = Client(enforce_csrf_checks=True)  # as a real agent meets it: no CSRF cookie, no token
    for method in (client.post, client.put, client.delete):
        answer = method("/api/v1/layers", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert answer.status_code == 405 and answer.json()["error"]["message"] == "The API only reads: use GET."
        assert answer["Allow"] == "GET, HEAD"
