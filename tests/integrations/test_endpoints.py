"""The one list of Bitbucket endpoints: each function against the sandbox over HTTP, every path it
sends one that Bitbucket documents, and no Bitbucket path anywhere else in the product."""
from __future__ import annotations

import gzip
import json
import re
import secrets
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from integrations.bitbucket import endpoints
from integrations.bitbucket.client import BasicCredentials, BitbucketClient
from integrations.bitbucket.endpoints import FileChange, file_change
from integrations.bitbucket.errors import BitbucketError, BitbucketNotFound
from tests.sandbox.helpers import ALICE
from tests.sandbox.openapi import spec
from tests.support import shared_path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("config", "core", "integrations", "knowledge", "webhooks")  # not the sandbox, bench or tests
ENDPOINTS = ROOT / "integrations" / "bitbucket" / "endpoints.py"
ACME_UUID = "{a1c0e000-0000-4000-8000-000000000001}"


def bitbucket_paths_in(root: Path, packages=PRODUCT) -> list[str]:
    """`file:line` of every `/2.0` in the packages' Python files, but for the endpoints module."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if path.resolve() == ENDPOINTS:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if "/2.0" in line:
                    found.append(f"{path.relative_to(root)}:{number}")
    return found


def test_no_bitbucket_path_is_written_outside_the_endpoints_module():
    assert bitbucket_paths_in(ROOT) == [], "call a function of integrations/bitbucket/endpoints.py instead"


def test_the_scan_finds_a_path_written_elsewhere(tmp_path):
    (tmp_path / "knowledge" / "services").mkdir(parents=True)
    (tmp_path / "knowledge" / "services" / "sneaky.py").write_text('x = 1\nurl = f"/2.0/repositories/{ws}"\n')
    assert bitbucket_paths_in(tmp_path) == ["knowledge/services/sneaky.py:2"]


@pytest.fixture
def client(bitbucket) -> BitbucketClient:
    return BitbucketClient(BasicCredentials(*ALICE))


def _documented() -> list[re.Pattern]:
    """The spec's paths as patterns (written without /2.0); only a file path spans slashes, and is
    empty for the root directory (`src/{commit}/`)."""
    patterns = []
    for template in spec()["paths"]:
        pattern = re.escape(template).replace(re.escape("{path}"), ".*")
        patterns.append(re.compile("^/2\\.0" + re.sub(r"\\\{\w+\\\}", "[^/]+", pattern) + "/?$"))
    return patterns


def assert_documented(bitbucket) -> list[str]:
    """Every API path requested so far is one of the spec's; returns them (raw, still encoded)."""
    paths = [urlsplit(r["path"]).path for r in bitbucket.requests_seen() if r["path"].startswith("/2.0/")]
    patterns = _documented()
    assert paths and [p for p in paths if not any(pattern.match(p) for pattern in patterns)] == []
    return paths


def test_the_account_its_emails_workspaces_and_role(client, bitbucket):
    assert endpoints.current_user(client)["nickname"] == "alice"
    assert [e["email"] for e in endpoints.user_emails(client)] == [ALICE[0]]
    accesses = list(endpoints.user_workspaces(client))
    assert {a["workspace"]["slug"] for a in accesses} == {"acme", "globex", "initech"}
    assert len(list(endpoints.user_workspaces(client, first=1))) == 1
    assert endpoints.workspace_permission(client, ACME_UUID)["permission"] == "owner"
    paths = assert_documented(bitbucket)
    assert "/2.0/user/workspaces/%7Ba1c0e000-0000-4000-8000-000000000001%7D/permission" in paths


def test_repositories_branches_source_diffstat_and_archive(client, bitbucket):
    listed = {r["slug"]: r for r in endpoints.repositories(client, ACME_UUID, role="member")}
    assert {"api", "web", "empty"} <= set(listed)
    api = endpoints.repository(client, ACME_UUID, listed["api"]["uuid"])
    assert api["full_name"] == "acme/api" and api["mainbranch"]["name"] == "main"
    head = endpoints.branch_head(client, "acme", "api", "main")
    feature = endpoints.branch_head(client, "acme", "api", "feature/login")  # a slash, sent as %2F
    assert re.fullmatch(r"[0-9a-f]{40}", head) and feature != head
    with pytest.raises(BitbucketNotFound):
        endpoints.branch_head(client, "acme", "api", "no-such-branch")

    assert b"def create_app" in endpoints.src_file(client, "acme", "api", head, "acme/app.py")
    assert endpoints.src_meta(client, "acme", "api", head, "acme/app.py")["type"] == "commit_file"
    assert {e["path"] for e in endpoints.src_directory(client, "acme", "api", head)} >= {"README.md", "acme"}
    assert {e["path"] for e in endpoints.src_directory(client, "acme", "api", head, "acme")} >= {"acme/app.py"}
    changed = {(c.status, c.new_path) for c in endpoints.diffstat(client, "acme", "api", feature, head)}
    assert ("added", "acme/login.py") in changed
    with endpoints.src_file_stream(client, "acme", "api", head, "acme/app.py") as response:
        assert b"def create_app" in response.raw.read(decode_content=True) and not response.history

    with endpoints.archive(client, "acme", "api", head) as response:
        with tarfile.open(fileobj=gzip.GzipFile(fileobj=response.raw), mode="r|") as tar:
            assert any(member.name.endswith("/acme/app.py") for member in tar)
    paths = assert_documented(bitbucket)
    assert "/2.0/repositories/acme/api/refs/branches/feature%2Flogin" in paths


def test_a_file_name_with_a_hash_a_space_or_a_question_mark_is_one_path(client, bitbucket):
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"docs/odd name#1?.md": "odd\n"}, "message": "Odd"})
    head = endpoints.branch_head(client, "acme", "api", "main")
    assert endpoints.src_file(client, "acme", "api", head, "docs/odd name#1?.md") == b"odd\n"
    with endpoints.src_file_stream(client, "acme", "api", head, "docs/odd name#1?.md") as response:
        assert response.raw.read(100, decode_content=True) == b"odd\n"
    assert "/2.0/repositories/acme/api/src/" + head + "/docs/odd%20name%231%3F.md" in assert_documented(bitbucket)


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


def test_a_diffstat_in_one_request_of_the_two_trees_and_files_by_exact_path(client, bitbucket):
    before = endpoints.branch_head(client, "acme", "api", "main")
    name = "docs/ünï cöde #1?.md"
    after = bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits", json={
        "branch": "main", "files": {name: "# Ünï\n", **{f"many/{n}.py": f"N = {n}\n" for n in range(150)}},
        "rename": {"acme/db.py": "acme/storage.py"}}).json()["hash"]
    seen = bitbucket.requests_seen()[-1]["seq"]
    changes = list(endpoints.diffstat(client, "acme", "api", after, before))
    assert len(changes) == 152 and FileChange("renamed", "acme/db.py", "acme/storage.py") in changes
    asked = bitbucket.requests_seen(seen)
    assert [urlsplit(r["path"]).path.endswith(f"/diffstat/{after}..{before}") for r in asked] == [True]
    assert "topic=false" in urlsplit(asked[0]["path"]).query  # the two trees' diff, not a merge's
    with endpoints.src_file_stream(client, "acme", "api", after, name) as response:
        assert response.raw.read(100, decode_content=True) == "# Ünï\n".encode() and not response.history
    with pytest.raises(BitbucketNotFound):
        endpoints.src_file_stream(client, "acme", "api", after, "acme/db.py")
    with pytest.raises(BitbucketNotFound):
        list(endpoints.diffstat(client, "acme", "api", after, "f" * 40))
    assert_documented(bitbucket)


@pytest.mark.parametrize("repo", [None, "api"], ids=["workspace", "repository"])
def test_hooks_are_created_listed_and_deleted(client, bitbucket, repo):
    secret = secrets.token_urlsafe(16)
    created = endpoints.hook_create(client, "acme", repo, url="http://127.0.0.1:9/hook/", description="Strata test",
                                    events=["repo:push"], secret=secret)
    assert created["uuid"] and created["events"] == ["repo:push"] and "secret" not in created
    assert [h["uuid"] for h in endpoints.hooks(client, "acme", repo)] == [created["uuid"]]
    endpoints.hook_delete(client, "acme", repo, created["uuid"])
    assert list(endpoints.hooks(client, "acme", repo)) == []
    with pytest.raises(BitbucketNotFound):
        endpoints.hook_delete(client, "acme", repo, created["uuid"])
    assert_documented(bitbucket)


def test_pull_requests_their_activity_and_pipelines(client, bitbucket):
    prs = {pr["title"]: pr for pr in endpoints.pull_requests(client, "acme", "api")}
    assert prs["Add login"]["state"] == "OPEN" and prs["Tidy docs"]["state"] == "DECLINED"  # every state asked for
    assert [pr["title"] for pr in endpoints.pull_requests(client, "acme", "api", states=["DECLINED"])] == ["Tidy docs"]
    login = endpoints.pull_request(client, "acme", "api", prs["Add login"]["id"])
    assert login["source"]["branch"]["name"] == "feature/login"
    bitbucket.control("POST", f"/_sandbox/repositories/acme/api/pullrequests/{login['id']}/approve", json={"user": "alice"})
    assert any("approval" in a for a in endpoints.pull_request_activity(client, "acme", "api", login["id"]))
    runs = list(endpoints.pipelines(client, "acme", "api"))
    assert [p["state"]["result"]["name"] for p in runs] == ["FAILED", "SUCCESSFUL"]  # newest first
    assert_documented(bitbucket)
