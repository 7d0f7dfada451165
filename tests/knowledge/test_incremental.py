"""A push is applied file by file (diffstat, then `src` for what changed) and gives exactly what a
full build of the same commit gives; anything it cannot apply that way is read from the archive."""
from __future__ import annotations

import base64
import json
import threading
import time
from urllib.parse import unquote

import pytest
from django.db import connection

from integrations.models import Repository
from knowledge.models import ContentChunk, Dependency, Doc, Generation, KnowledgeLayer, LayerFile, SkippedFile, Symbol
from knowledge.search import Scope, parse, search_results
from knowledge.selectors import serving_generation
from knowledge.services.layers import layer_requeue

pytestmark = pytest.mark.django_db(transaction=True)

CAP = 4096  # INGEST_MAX_FILE_BYTES in these tests, so a file can grow past it
QUERIES = ["helper_1", "helper_extra", "# Mono", "naïve", "日本", "requests", "moved", "tiny", "class Thing", "Usage", "NUL",
           "rewritten", "push", "line of text"]


def _b64(data: bytes) -> dict:
    return {"base64": base64.b64encode(data).decode()}


def _files() -> dict:
    files = {
        "README.md": "# Mono\n\nSee [usage](docs/usage.md) and `helper_0`.\n",
        ".strataignore": "generated_reports/\n*.log\n",
        "pyproject.toml": '[project]\nname = "mono"\ndependencies = ["requests>=2.31", "attrs"]\n',
        "package.json": '{"name": "mono-web", "dependencies": {"react": "^18.2.0"}}\n',
        "docs/usage.md": "# Usage\n\nCall `helper_1` from [the core](../src/mono/core.py).\n",
        "docs/guide.rst": "Guide\n=====\n\nNothing to see.\n",
        "docs/with space #1.md": "# Spaced out\n\ntiny page\n",
        "naïve/日本語.py": "def naïve_日本():\n    return 'naïve'\n",
        "src/mono/__init__.py": '"""Mono."""\n',
        "src/mono/core.py": "class Thing:\n    def run(self):\n        return helper_0()\n",
        "web/app.js": "export function start() {\n  return 'Mono';\n}\n",
        "web/util.ts": "export const tiny = (x: number): number => x + 1;\n",
        "vendor/lib.js": "function vendored_helper_() { return 1; }\n",
        "generated_reports/r.txt": "ignored by .strataignore\n",
        "big.txt": "line of text that repeats\n" * 100,  # 2,600 bytes, under the cap
        "assets/logo.png": _b64(b"\x89PNG\r\n\x1a\n" + bytes(64)),
        "data/blob.bin": _b64(bytes(range(256))),
    }
    for n in range(30):
        files[f"src/mono/mod_{n}.py"] = f"def helper_{n}(value):\n    return value + {n}\n\n\nclass Model{n}:\n    pass\n"
    return files


@pytest.fixture
def mono(settings, bitbucket, signed_in, acme):
    """alice's repository `mono` (47 files, one of them ignored by its .strataignore) and its layer, built in full."""
    settings.INGEST_MAX_FILE_BYTES = CAP
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "mono", "source": {"files": _files()}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    signed_in.post("/knowledge/layers/create/", {"repository": [Repository.objects.get(slug="mono").pk]})
    layer = KnowledgeLayer.objects.get(repository__slug="mono")
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.summary["built"]["mode"] == "full", layer.failure_reason
    return layer


def push(bitbucket, **body) -> str:
    answer = bitbucket.control("POST", "/_sandbox/repositories/acme/mono/commits", json={"branch": "main", **body})
    assert answer.status_code == 201, answer.text
    return answer.json()["hash"]


def rebuild(bitbucket, layer, *, from_archive: bool = False) -> tuple[KnowledgeLayer, list[dict]]:
    """Build the layer at the head now (the job runs in-process); the Bitbucket requests it made."""
    seen = bitbucket.requests_seen()
    layer_requeue(layer_id=layer.pk, from_archive=from_archive)
    layer.refresh_from_db()
    return layer, bitbucket.requests_seen(since=seen[-1]["seq"] if seen else 0)


def snapshot(layer) -> dict:
    """Everything a reader can get from the serving generation, in a comparable form."""
    generation = serving_generation(layer)
    rows = {
        "files": sorted(LayerFile.objects.filter(generation=generation).values_list(
            "path", "size", "sha256", "language", "lines", "is_binary", "is_vendored", "is_generated", "is_truncated")),
        "chunks": sorted(ContentChunk.objects.filter(generation=generation).values_list("file__path", "start_line", "text", "searchable")),
        "symbols": sorted(Symbol.objects.filter(generation=generation).values_list("file__path", "kind", "name", "container", "line", "end_line")),
        "dependencies": sorted(Dependency.objects.filter(generation=generation).values_list(
            "ecosystem", "name", "constraint", "scope", "group", "manifest")),
        "docs": sorted(Doc.objects.filter(generation=generation).values_list("path", "kind", "title", "html")),
        "skipped": sorted(SkippedFile.objects.filter(generation=generation).values_list("path", "reason")),
    }
    stats = {key: generation.stats[key] for key in ("files", "bytes", "symbols", "skipped", "languages", "readme", "notes",
                                                    "commit", "symbols_version", "basis")}
    stats["manifest_errors"] = sorted(generation.stats["manifest_errors"])
    user = layer.repository.workspace.connection.user
    found = {}
    for query in QUERIES:
        page = search_results(user=user, scope=Scope(query=parse(query)), limit=1000)
        assert page.next is None, query  # every result on one page: the comparison leaves none out
        found[query] = {"counts": {kind: total.as_json() for kind, total in page.counts.items()},
                        "results": sorted(json.dumps(result.as_json(), sort_keys=True) for result in page.results)}
    assert sum(len(answer["results"]) for answer in found.values()) >= 20  # the comparison compares something
    summary = {key: value for key, value in layer.summary.items() if key not in ("built", "symbols_parsed")}
    return {**rows, "stats": stats, "summary": summary, "search": found, "generation": (generation.number, layer.active_generation)}


def assert_same_as_a_full_build(bitbucket, layer) -> dict:
    """The serving (incremental) version against a full build of the same commit, field by field."""
    applied = snapshot(layer)
    assert layer.summary["built"]["mode"] == "incremental"
    layer, made = rebuild(bitbucket, layer, from_archive=True)  # the same commit, as Retry builds it: from the archive
    assert layer.summary["built"] == {"mode": "full", "reason": "a full build was asked for",
                                      "text": "full build: a full build was asked for"}
    assert any("/get/" in r["path"] for r in made)
    full = snapshot(layer)
    for key in full:
        if key != "generation":
            assert applied[key] == full[key], key
    return applied


def changed_fetched_only(made: list[dict], fetched: set[str]) -> None:
    """The build asked for the repository, its branch, one diffstat and each fetched file: nothing else."""
    paths = [unquote(r["path"].split("?")[0]) for r in made]
    src = {path.split("/src/", 1)[1].split("/", 1)[1] for path in paths if "/src/" in path}
    assert src == fetched and len(paths) == len(fetched) + 3, paths
    assert sum("/diffstat/" in p for p in paths) == 1 and not any("/get/" in p for p in paths)


SCENARIOS = {
    "code": ({"files": {"src/mono/mod_1.py": "def helper_1(value):\n    return value * 2\n", "src/mono/extra.py": "def helper_extra():\n    pass\n"},
              "delete": ["src/mono/mod_2.py"], "rename": {"src/mono/mod_3.py": "src/mono/moved.py"}},
             {"added": 1, "modified": 1, "removed": 1, "renamed": 1}, {"src/mono/mod_1.py", "src/mono/extra.py", "src/mono/moved.py"}),
    "manifests": ({"files": {"pyproject.toml": '[project]\nname = "mono"\ndependencies = ["requests>=2.32", "rich"]\n',
                             "package.json": '{"name": "mono-web", "dependencies": {', "requirements-dev.txt": "pytest>=8\n"}},
                  {"added": 1, "modified": 2, "removed": 0, "renamed": 0}, {"pyproject.toml", "package.json", "requirements-dev.txt"}),
    "readme": ({"files": {"README.rst": "Mono, in reST\n=============\n\nhelper_2 lives here.\n",
                          "docs/usage.md": "# Usage, again\n\nCall `helper_3`.\n"}, "delete": ["README.md"]},
               {"added": 1, "modified": 1, "removed": 1, "renamed": 0}, {"README.rst", "docs/usage.md"}),
    "binary": ({"files": {"assets/logo.png": _b64(b"\x89PNG\r\n\x1a\n" + bytes(range(90))),
                          "data/more.bin": _b64(b"\x00\x01NUL\x02" * 50),
                          "src/mono/mod_4.py": "def helper_4():\n    return '\x00 NUL inside'\n"}},
               {"added": 1, "modified": 2, "removed": 0, "renamed": 0}, {"assets/logo.png", "data/more.bin", "src/mono/mod_4.py"}),
    "caps": ({"files": {"big.txt": "line of text that repeats, now longer\n" * 300,  # 11,400 bytes: past the cap
                        "generated_reports/new.txt": "never fetched\n", "bad\x1bname.py": "x = 1\n", "debug.log": "ignored\n"}},
             {"added": 3, "modified": 1, "removed": 0, "renamed": 0}, {"big.txt"}),
    "unicode": ({"files": {"naïve/日本語.py": "def naïve_日本(x):\n    return x\n", "docs/ünï cöde #2.md": "# Ünï\n\nnaïve page\n"},
                 "rename": {"docs/with space #1.md": "docs/renamed space?.md"}},
                {"added": 1, "modified": 1, "removed": 0, "renamed": 1}, {"naïve/日本語.py", "docs/ünï cöde #2.md", "docs/renamed space?.md"}),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_push_is_applied_file_by_file_and_equals_a_full_build(bitbucket, mono, scenario):
    body, counts, fetched = SCENARIOS[scenario]
    before = serving_generation(mono)
    commit = push(bitbucket, message=scenario, **body)
    layer, made = rebuild(bitbucket, mono)
    assert layer.status == KnowledgeLayer.Status.ACTIVE, layer.failure_reason
    built = layer.summary["built"]
    changed = sum(counts.values())
    assert built == {"mode": "incremental", "from": before.commit, "changed": changed, **counts,
                     "text": f"incremental from {before.commit[:12]}: {changed} files changed"}
    changed_fetched_only(made, fetched)  # at most changed files + 3 calls
    generation = serving_generation(layer)
    assert (generation.pk, generation.number, generation.commit) == (before.pk, before.number + 1, commit)
    assert generation.created_at > before.finished_at  # when this version's build started
    assert Generation.objects.filter(layer=layer).count() == 1
    applied = assert_same_as_a_full_build(bitbucket, layer)
    if scenario == "caps":
        assert ("big.txt", 11400) in {(f[0], f[1]) for f in applied["files"] if f[8]}  # truncated, real size
        assert ("bad\\x1bname.py", "control character in name") in applied["skipped"]
        assert ("generated_reports/new.txt", "strataignore") in applied["skipped"]
    if scenario == "readme":
        assert applied["stats"]["readme"] == "README.rst"
    if scenario == "manifests":
        assert any(error.startswith("package.json: ") for error in applied["stats"]["manifest_errors"])


def test_pushes_applied_one_after_another_and_a_forced_push_stay_equal_to_a_full_build(bitbucket, mono, signed_in):
    start = serving_generation(mono).commit
    for scenario in ("code", "manifests"):
        push(bitbucket, **SCENARIOS[scenario][0])
        layer, _ = rebuild(bitbucket, mono)
        assert layer.summary["built"]["mode"] == "incremental"
    # History rewritten: the branch starts again from the first commit, without those two pushes.
    push(bitbucket, parent=start, files={"src/mono/mod_5.py": "def helper_5():\n    return 'rewritten'\n"})
    layer, made = rebuild(bitbucket, layer)
    built = layer.summary["built"]
    assert built["mode"] == "incremental" and built["changed"] == 8  # the two pushes undone, one file changed
    assert "topic=false" in next(r["path"] for r in made if "/diffstat/" in r["path"])
    applied = assert_same_as_a_full_build(bitbucket, layer)
    assert not any(path == "src/mono/extra.py" for path, *_ in applied["files"])

    page = signed_in.get(f"/knowledge/layers/{layer.pk}/").content.decode()
    assert "full build: a full build was asked for" in page


def test_the_layer_page_and_the_api_say_how_the_version_was_built(bitbucket, mono, signed_in):
    push(bitbucket, **SCENARIOS["code"][0])
    layer, _ = rebuild(bitbucket, mono)
    text = layer.summary["built"]["text"]
    assert text.startswith("incremental from ") and text.endswith(": 4 files changed")
    assert text in signed_in.get(f"/knowledge/layers/{layer.pk}/").content.decode()
    from knowledge.services.api_tokens import api_token_create

    token = api_token_create(user=layer.repository.workspace.connection.user, name="agent")[1]
    answer = signed_in.get("/api/v1/layers", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert answer["layers"][0]["built"] == layer.summary["built"]


def test_a_cursor_taken_before_an_incremental_build_is_refused_after_it(bitbucket, mono, signed_in):
    from knowledge.services.api_tokens import api_token_create

    token = api_token_create(user=mono.repository.workspace.connection.user, name="agent")[1]

    def ask(path, **params):
        return signed_in.get(path, params, HTTP_AUTHORIZATION=f"Bearer {token}")

    symbols = ask(f"/api/v1/layers/{mono.pk}/symbols", limit=10).json()["next"]
    content = ask("/api/v1/search", q="helper_1", kind="content", limit=2).json()["next"]
    assert symbols and content
    push(bitbucket, **SCENARIOS["code"][0])
    layer, _ = rebuild(bitbucket, mono)
    assert layer.summary["built"]["mode"] == "incremental"  # the same generation row, a new version
    for answer in (ask(f"/api/v1/layers/{mono.pk}/symbols", limit=10, cursor=symbols),
                   ask("/api/v1/search", q="helper_1", kind="content", limit=2, cursor=content)):
        assert answer.status_code == 400 and "rebuilt" in answer.json()["error"]["message"]


def _forget_the_served_commit(bitbucket, layer):
    # As after a history rewrite that Bitbucket has garbage-collected: the served commit is unknown.
    Generation.objects.filter(pk=serving_generation(layer).pk).update(commit="f" * 40)


def _predates_incremental_refresh(bitbucket, layer):
    generation = serving_generation(layer)
    Generation.objects.filter(pk=generation.pk).update(stats={k: v for k, v in generation.stats.items() if k != "basis"})


@pytest.mark.parametrize(("arrange", "body", "reason"), [
    (lambda settings, bitbucket, layer: setattr(settings, "INCREMENTAL_MAX_FILES", 3), SCENARIOS["code"][0],
     "more than 3 of its 46 files changed"),
    (lambda settings, bitbucket, layer: setattr(settings, "INCREMENTAL_MAX_SHARE", 0.05), SCENARIOS["code"][0],
     "more than 2 of its 46 files changed"),
    (lambda settings, bitbucket, layer: setattr(settings, "INCREMENTAL_MAX_FILES", 0), SCENARIOS["code"][0],
     "incremental refresh is switched off"),
    (lambda settings, bitbucket, layer: bitbucket.control("POST", "/_sandbox/faults", json={"path": "/diffstat/", "status": 500, "times": 20}),
     SCENARIOS["code"][0], "Bitbucket's diffstat failed (Bitbucket answered 500 to GET "),
    (lambda settings, bitbucket, layer: _forget_the_served_commit(bitbucket, layer), SCENARIOS["code"][0],
     "Bitbucket does not know the served commit ffffffffffff any more"),
    (lambda settings, bitbucket, layer: _predates_incremental_refresh(bitbucket, layer), SCENARIOS["code"][0],
     "the served version was built before incremental refresh"),
    (lambda settings, bitbucket, layer: None, {"files": {".strataignore": "generated_reports/\n*.log\nsrc/mono/mod_1*\n"}},
     "the .strataignore changed"),
    (lambda settings, bitbucket, layer: setattr(settings, "INGEST_MAX_FILE_BYTES", CAP * 2), SCENARIOS["code"][0],
     "the ingest limits changed since the served version"),
], ids=["max-files", "max-share", "switched-off", "diffstat-500", "unknown-commit", "older-build", "strataignore", "limits"])
def test_what_cannot_be_applied_file_by_file_is_read_from_the_archive(settings, bitbucket, mono, arrange, body, reason):
    arrange(settings, bitbucket, mono)
    commit = push(bitbucket, **body)
    layer, made = rebuild(bitbucket, mono)
    assert layer.status == KnowledgeLayer.Status.ACTIVE, layer.failure_reason
    assert layer.summary["built"]["mode"] == "full" and layer.summary["built"]["reason"].startswith(reason)
    assert sum("/get/" in r["path"] for r in made) == 1 and not any("/src/" in r["path"] for r in made)
    generation = serving_generation(layer)
    assert generation.commit == commit and Generation.objects.filter(layer=layer).count() == 1
    paths = set(LayerFile.objects.filter(generation=generation).values_list("path", flat=True))
    if body is SCENARIOS["code"][0]:
        assert {"src/mono/extra.py", "src/mono/moved.py"} <= paths and "src/mono/mod_2.py" not in paths
    else:  # the new .strataignore applies to every file
        assert "src/mono/mod_1.py" not in paths and "src/mono/mod_10.py" not in paths and "src/mono/mod_2.py" in paths


def test_a_push_whose_head_is_already_served_builds_nothing(bitbucket, mono):
    served = snapshot(mono)
    layer, made = rebuild(bitbucket, mono)  # as when a push's webhook arrives after a build read that head
    assert layer.status == KnowledgeLayer.Status.ACTIVE and snapshot(layer) == served
    assert [unquote(r["path"]).rsplit("/", 1)[-1] for r in made] == [Repository.objects.get(slug="mono").uuid, "main"]


def test_a_failed_incremental_build_keeps_the_previous_version_serving(bitbucket, mono, signed_in):
    served = snapshot(mono)
    push(bitbucket, **SCENARIOS["code"][0])
    bitbucket.control("POST", "/_sandbox/faults", json={"path": "/src/", "status": 500, "times": 50})
    layer, made = rebuild(bitbucket, mono)
    assert layer.status == KnowledgeLayer.Status.FAILED and "500" in layer.failure_reason
    assert any("/src/" in r["path"] for r in made) and not any("/get/" in r["path"] for r in made)
    assert snapshot(layer) == {**served, "summary": served["summary"]}
    assert Generation.objects.filter(layer=layer).count() == 1 and not LayerFile.objects.exclude(generation__layer=layer).exists()
    page = signed_in.get(f"/knowledge/layers/{layer.pk}/").content.decode()
    assert "previous version is still served" in page

    bitbucket.control("DELETE", "/_sandbox/faults")
    signed_in.post(f"/knowledge/layers/{layer.pk}/retry/")  # Retry reads the whole archive: the way out of anything
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.summary["built"]["reason"] == "a full build was asked for"
    assert Symbol.objects.filter(generation=serving_generation(layer), name="helper_extra").exists()


def test_a_push_that_lands_during_a_build_ends_built_at_the_newest_head(bitbucket, mono):
    push(bitbucket, files={"src/mono/mod_6.py": "def helper_6():\n    return 'first push'\n"})
    # The build's first file is served slowly, so the second push lands while it runs.
    bitbucket.control("POST", "/_sandbox/faults", json={"path": "/src/", "delay_s": 3, "times": 1})
    building = threading.Thread(target=lambda: (layer_requeue(layer_id=mono.pk), connection.close()))
    building.start()
    try:
        deadline = time.monotonic() + 30
        while not Generation.objects.filter(layer=mono, status=Generation.Status.BUILDING).exclude(commit="").exists():
            assert time.monotonic() < deadline, "the build did not read its head"
            time.sleep(0.02)
        newest = push(bitbucket, files={"src/mono/mod_7.py": "def helper_7():\n    return 'second push'\n"})
        assert layer_requeue(layer_id=mono.pk) is False  # busy: remembered, not lost
    finally:
        building.join(timeout=60)
    layer = KnowledgeLayer.objects.get(pk=mono.pk)
    assert layer.status == KnowledgeLayer.Status.ACTIVE and not layer.rebuild_requested
    assert serving_generation(layer).commit == newest and layer.summary["built"]["mode"] == "incremental", layer.summary["built"]
    assert layer.summary["built"]["changed"] == 1  # the second push, applied on top of the first
    texts = "".join(ContentChunk.objects.filter(generation=serving_generation(layer)).values_list("text", flat=True))
    assert "first push" in texts and "second push" in texts


def test_changed_files_larger_together_than_an_archive_may_be_are_read_from_the_archive(settings, bitbucket, mono):
    settings.INGEST_MAX_ARCHIVE_BYTES = 40_000  # under the repository's archive, so the full build stops early too
    push(bitbucket, files={"big.txt": "x" * 25_000, "data/large.txt": "y" * 25_000})
    layer, made = rebuild(bitbucket, mono)
    assert layer.status == KnowledgeLayer.Status.ACTIVE, layer.failure_reason
    assert layer.summary["built"] == {"mode": "full", "reason": "the changed files are larger than 40000 bytes together",
                                      "text": "full build: the changed files are larger than 40000 bytes together"}
    assert [("/src/" in r["path"], "/get/" in r["path"]) for r in made][-3:] == [(True, False), (True, False), (False, True)]
    assert layer.summary["notes"][0].startswith("Stopped early: archive is larger than")
    assert Generation.objects.filter(layer=layer).count() == 1
