"""Diffstat and files at a commit, read from Bitbucket's real answer and from the sandbox over HTTP."""
from __future__ import annotations

import json

import pytest

from integrations.bitbucket.client import BasicCredentials, BitbucketClient
from integrations.bitbucket.errors import BitbucketError, BitbucketNotFound
from integrations.bitbucket.source import FileChange, diffstat, file_at, file_change
from tests.support import shared_path

ALICE = ("alice@example.com", "ATATT3xFfGF0-alice-all-scopes-5f1c9a")  # sandbox/seeds/test.json


def test_bitbucket_s_real_diffstat_reads_as_changes():
    real = json.loads(shared_path("bitbucket", "rest", "repository-diffstat-feature_2Fdiffstat..174561d.json").read_text())
    assert [file_change(entry) for entry in real["values"]] == [
        FileChange("modified", "Jenkinsfile", "Jenkinsfile"),
        FileChange("added", None, "resources/README.md"),
        FileChange("renamed", "folder/file.properties", "resources/file.properties"),
        FileChange("added", None, "resources/image.png"),
    ]


@pytest.mark.parametrize("entry", [
    None, [], {"status": "copied", "new": {"path": "a"}}, {"status": "added", "old": {"path": "a"}, "new": None},
    {"status": "renamed", "old": {"path": "a"}, "new": {"path": ""}}, {"status": "modified", "old": {"path": 3}, "new": {"path": "a"}},
    {"status": "removed", "old": "a", "new": None},
])
def test_a_diffstat_entry_of_the_wrong_shape_is_a_bitbucket_error(entry):
    with pytest.raises(BitbucketError):
        file_change(entry)


@pytest.fixture
def client(settings, sandbox_clean):
    settings.BITBUCKET_WEB_URL = settings.BITBUCKET_API_URL = sandbox_clean.url
    return BitbucketClient(BasicCredentials(*ALICE))


def test_a_diffstat_in_one_request_and_files_by_exact_path(client, sandbox_clean):
    before = client.get("/2.0/repositories/acme/api/refs/branches/main")["target"]["hash"]
    name = "docs/ünï cöde #1?.md"
    after = sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/commits", json={
        "branch": "main", "files": {name: "# Ünï\n", **{f"many/{n}.py": f"N = {n}\n" for n in range(150)}},
        "rename": {"acme/db.py": "acme/storage.py"}}).json()["hash"]
    seen = sandbox_clean.requests_seen()[-1]["seq"]
    changes = list(diffstat(client, workspace="acme", repository="api", new=after, old=before))
    assert len(changes) == 152 and FileChange("renamed", "acme/db.py", "acme/storage.py") in changes
    assert [r["path"].split("?")[0].endswith(f"/diffstat/{after}..{before}") for r in sandbox_clean.requests_seen(seen)] == [True]
    with file_at(client, workspace="acme", repository="api", commit=after, path=name) as response:
        assert response.raw.read(100, decode_content=True) == "# Ünï\n".encode() and not response.history
    with pytest.raises(BitbucketNotFound):
        file_at(client, workspace="acme", repository="api", commit=after, path="acme/db.py")
    with pytest.raises(BitbucketNotFound):
        list(diffstat(client, workspace="acme", repository="api", new=after, old="f" * 40))
