"""Source: /src listings, raw files and ?format=meta; /diffstat/{new}..{old} after control-API commits."""
from __future__ import annotations

import json

from tests.sandbox.helpers import get
from tests.sandbox.openapi import validate, validate_named
from tests.support import shared_path

SRC = "/repositories/{workspace}/{repo_slug}/src/{commit}/{path}"
DIFFSTAT = "/repositories/{workspace}/{repo_slug}/diffstat/{spec}"


def test_src_root_redirects_to_the_main_branch_head(sandbox):
    answer = get(sandbox, "/2.0/repositories/acme/api/src")
    head = get(sandbox, "/2.0/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{sandbox.url}/2.0/repositories/acme/api/src/{head}/"
    listing = get(sandbox, answer.headers["Location"]).json()
    validate(listing, SRC)
    assert [(e["type"], e["path"]) for e in listing["values"]] == [
        ("commit_directory", "acme"), ("commit_directory", "docs"),
        ("commit_file", "README.md"), ("commit_file", "pyproject.toml")]


def test_directory_listing_by_branch_name_with_a_slash(sandbox):
    listing = get(sandbox, "/2.0/repositories/acme/api/src/feature/login/acme/").json()
    validate(listing, SRC)
    assert [e["path"] for e in listing["values"]] == ["acme/__init__.py", "acme/app.py", "acme/db.py",
                                                      "acme/login.py"]
    deep = get(sandbox, "/2.0/repositories/acme/api/src/main/?max_depth=3&pagelen=100").json()
    assert {e["path"] for e in deep["values"] if e["type"] == "commit_file"} == {
        "README.md", "pyproject.toml", "acme/__init__.py", "acme/app.py", "acme/db.py", "docs/usage.md"}


def test_a_file_is_served_raw(sandbox):
    answer = get(sandbox, "/2.0/repositories/acme/api/src/main/acme/db.py")
    assert answer.status_code == 200
    assert answer.content == b'def connect(dsn: str):\n    return {"dsn": dsn}\n'


def test_file_meta_has_the_shape_of_the_real_capture(sandbox):
    real = json.loads(shared_path(
        "bitbucket", "rest", "repository-src-master-folder_2Ffile.properties_format_meta.json").read_text())
    meta = get(sandbox, "/2.0/repositories/acme/api/src/main/docs/usage.md?format=meta").json()
    validate_named(meta, "commit_file")
    assert set(real) <= set(meta) and set(real["links"]) <= set(meta["links"])
    assert meta["path"] == "docs/usage.md" and meta["size"] == len(b"# Usage\n\nCall `create_app`.\n")
    assert len(meta["commit"]["hash"]) == 40 and meta["attributes"] == []
    directory = get(sandbox, "/2.0/repositories/acme/api/src/main/docs?format=meta").json()
    assert directory["type"] == "commit_directory" and directory["path"] == "docs"


def test_missing_paths_and_commits_are_404(sandbox):
    assert get(sandbox, "/2.0/repositories/acme/api/src/main/nope.txt").status_code == 404
    assert get(sandbox, "/2.0/repositories/acme/api/src/0123456789abcdef/README.md").status_code == 404


def test_python_package_source_serves_real_code(sandbox):
    listing = get(sandbox, "/2.0/repositories/acme/idna/src/main/?pagelen=100").json()
    paths = {e["path"] for e in listing["values"]}
    assert "core.py" in paths and not any("__pycache__" in p for p in paths)
    code = get(sandbox, "/2.0/repositories/acme/idna/src/main/core.py").text
    assert "def encode(" in code


def test_diffstat_after_a_commit(sandbox_clean):
    before = get(sandbox_clean, "/2.0/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
    pushed = sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/commits", json={
        "branch": "main", "message": "Rework the app",
        "files": {"acme/app.py": "def create_app():\n    return {}\n", "acme/new.py": "X = 1\nY = 2\n",
                  "docs/guide.md": "# Usage\n\nCall `create_app`.\n"},
        "delete": ["acme/db.py", "docs/usage.md"]})
    assert pushed.status_code == 201
    after = pushed.json()["hash"]
    assert pushed.json()["parents"][0]["hash"] == before and pushed.json()["branch"] == "main"
    answer = get(sandbox_clean, f"/2.0/repositories/acme/api/diffstat/{after}..{before}").json()
    validate(answer, DIFFSTAT)
    by_status = {(d["status"], (d["old"] or {}).get("path"), (d["new"] or {}).get("path")):
                 (d["lines_added"], d["lines_removed"]) for d in answer["values"]}
    assert by_status == {
        ("modified", "acme/app.py", "acme/app.py"): (2, 6),
        ("added", None, "acme/new.py"): (2, 0),
        ("removed", "acme/db.py", None): (0, 2),
        ("renamed", "docs/usage.md", "docs/guide.md"): (0, 0),
    }
    assert get(sandbox_clean, f"/2.0/repositories/acme/api/diffstat/{after}").json()["size"] == 4
    by_branch = get(sandbox_clean, f"/2.0/repositories/acme/api/diffstat/main..{before[:7]}").json()
    assert by_branch["size"] == 4
    assert get(sandbox_clean, "/2.0/repositories/acme/api/src/main/acme/db.py").status_code == 404


def test_first_push_to_an_empty_repository_sets_its_main_branch(sandbox_clean):
    sandbox_clean.control("POST", "/_sandbox/repositories/acme/empty/commits", json={
        "branch": "trunk", "files": {"README.md": "hello\n"}})
    repo = get(sandbox_clean, "/2.0/repositories/acme/empty").json()
    assert repo["mainbranch"]["name"] == "trunk"
    assert get(sandbox_clean, "/2.0/repositories/acme/empty/src/trunk/README.md").text == "hello\n"


def _push(sandbox, **body) -> dict:
    answer = sandbox.control("POST", "/_sandbox/repositories/acme/api/commits", json={"branch": "main", **body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _diffstat(sandbox, spec: str, query: str = "") -> set[tuple]:
    answer = get(sandbox, f"/2.0/repositories/acme/api/diffstat/{spec}{query}")
    assert answer.status_code == 200, answer.text
    validate(answer.json(), DIFFSTAT)
    return {(d["status"], (d["old"] or {}).get("path"), (d["new"] or {}).get("path")) for d in answer.json()["values"]}


def test_renames_and_binary_files_in_a_commit(sandbox_clean):
    before = _push(sandbox_clean, files={"logo.png": {"base64": "iVBORw0KGgoAAAAN"}})["hash"]
    after = _push(sandbox_clean, rename={"acme/db.py": "acme/storage.py", "logo.png": "img/logo.png"},
                  files={"blob.bin": {"base64": "AAECA/8="}})["hash"]
    assert _diffstat(sandbox_clean, f"{after}..{before}") == {
        ("renamed", "acme/db.py", "acme/storage.py"), ("renamed", "logo.png", "img/logo.png"), ("added", None, "blob.bin")}
    assert get(sandbox_clean, f"/2.0/repositories/acme/api/src/{after}/blob.bin").content == b"\x00\x01\x02\x03\xff"
    assert get(sandbox_clean, f"/2.0/repositories/acme/api/src/{after}/acme/storage.py").text.startswith("def connect")
    for bad in ({"files": {"x.bin": {"base64": "not base64!"}}}, {"files": {"x": 1}}, {"rename": {"nope.py": "x.py"}},
                {"rename": {"acme/app.py": "../out.py"}}, {"parent": "0" * 40}):
        assert sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/commits", json=bad).status_code == 400, bad


def test_diffstat_of_a_rewritten_history_follows_topic_and_merge_like_bitbucket(sandbox_clean):
    base = get(sandbox_clean, "/2.0/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
    old = _push(sandbox_clean, files={"old_only.py": "A = 1\n", "acme/app.py": "print('old')\n"})["hash"]
    # A forced push: the branch now starts again from `base`, without `old`.
    forced = _push(sandbox_clean, parent=base, files={"new_only.py": "B = 2\n"})
    assert forced["parents"][0]["hash"] == base
    new = forced["hash"]
    # Two dots: the difference between the two trees, which is what a layer needs.
    assert _diffstat(sandbox_clean, f"{new}..{old}", "?topic=false") == {
        ("added", None, "new_only.py"), ("removed", "old_only.py", None), ("modified", "acme/app.py", "acme/app.py")}
    assert _diffstat(sandbox_clean, f"{new}..{old}", "?merge=false") == _diffstat(sandbox_clean, f"{new}..{old}", "?topic=false")
    # Three dots: what `new` changed since the merge base; the default merges `new` into `old`.
    assert _diffstat(sandbox_clean, f"{new}..{old}", "?topic=true") == {("added", None, "new_only.py")}
    assert _diffstat(sandbox_clean, f"{new}..{old}") == {("added", None, "new_only.py")}
    # Along a straight history all three agree.
    later = _push(sandbox_clean, files={"later.py": "C = 3\n"})["hash"]
    assert (_diffstat(sandbox_clean, f"{later}..{new}") == _diffstat(sandbox_clean, f"{later}..{new}", "?topic=false")
            == _diffstat(sandbox_clean, f"{later}..{new}", "?topic=true") == {("added", None, "later.py")})
    assert get(sandbox_clean, f"/2.0/repositories/acme/api/diffstat/{new}..{old}?topic=maybe").status_code == 400
    assert get(sandbox_clean, f"/2.0/repositories/acme/api/diffstat/{new}..{old}?topic=true&merge=true").status_code == 400
