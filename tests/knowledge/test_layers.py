"""Building knowledge layers from Bitbucket archives, as a user starts them from Repositories."""
from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from integrations.models import Repository, Workspace
from knowledge import tasks
from knowledge.models import Dependency, Generation, KnowledgeLayer, LayerFile, Symbol
from knowledge.services.layers import layer_build, layer_requeue, layers_resume_stalled

pytestmark = pytest.mark.django_db(transaction=True)


def create_layer(client, repo: Repository):
    return client.post("/knowledge/layers/create/", {"repository": [repo.pk]}, follow=True)


def archive_with(members: list[tuple[tarfile.TarInfo, bytes | None]], top: str = "acme-hostile-0123456789ab") -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for info, data in members:
            if not info.name.startswith("/") and ".." not in info.name and not info.name.startswith(top):
                info.name = f"{top}/{info.name}"
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return gzip.compress(raw.getvalue())


def regular(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def special(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def test_a_layer_goes_active_with_files_symbols_dependencies_and_docs(signed_in, acme):
    repo = Repository.objects.get(workspace=acme, slug="api")
    page = create_layer(signed_in, repo).content.decode()
    assert "Queued 1 knowledge layer" in page
    layer = KnowledgeLayer.objects.get(repository=repo)
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.failure_reason == ""
    generation = Generation.objects.get(layer=layer, number=layer.active_generation)
    paths = set(LayerFile.objects.filter(generation=generation).values_list("path", flat=True))
    assert {"README.md", "pyproject.toml", "acme/app.py", "acme/db.py"} <= paths
    create_app = Symbol.objects.get(generation=generation, name="create_app")
    assert (create_app.kind, create_app.file.path, create_app.line) == ("function", "acme/app.py", 4)
    deps = {(d.ecosystem, d.name, d.constraint) for d in Dependency.objects.filter(generation=generation)}
    assert ("pypi", "requests", ">=2.31") in deps and ("pypi", "sqlparse", "") in deps
    assert layer.summary["languages"][0]["language"] == "Python"

    def tab(name):
        return signed_in.get(f"/knowledge/layers/{layer.pk}/", {"tab": name}).content.decode()

    assert "Acme API" in tab("overview") and "create_app" in tab("symbols") and "requests" in tab("dependencies")
    assert "acme/app.py" in tab("files") and "README.md" in tab("docs")
    listing = signed_in.get("/knowledge/").content.decode()
    assert "acme/api" in listing and "Active" in listing


def test_search_finds_a_function_and_links_to_its_line(signed_in, acme):
    create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    page = signed_in.get("/search/", {"q": "create_app"}).content.decode()
    layer = KnowledgeLayer.objects.get()
    assert f"/knowledge/layers/{layer.pk}/files/acme/app.py#L4" in page
    assert "acme/app.py:4" in page and "<mark>create_app</mark>" in page
    source = signed_in.get(f"/knowledge/layers/{layer.pk}/files/acme/app.py").content.decode()
    assert 'id="L4"' in source and "create_app" in source


def test_search_only_covers_the_users_own_layers(signed_in, acme, client, make_user, user, connect_oauth):
    create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    layer = KnowledgeLayer.objects.get()
    eve = make_user("eve@example.com")
    client.force_login(eve)
    assert "acme/app.py" not in client.get("/search/", {"q": "create_app"}).content.decode()
    assert client.get(f"/knowledge/layers/{layer.pk}/").status_code == 404
    assert client.get(f"/knowledge/layers/{layer.pk}/files/acme/app.py").status_code == 404
    assert client.post(f"/knowledge/layers/{layer.pk}/retry/").status_code == 404
    assert not KnowledgeLayer.objects.visible_to(eve).exists() and not Generation.objects.visible_to(eve).exists()

    # eve builds a layer of the same repository through her own Bitbucket account (bob's): each
    # of them sees their own layer only, in lists, search and by id.
    connect_oauth(client, user="bob")
    theirs = Workspace.objects.get(connection__user=eve, slug="acme")
    client.post("/integrations/bitbucket/workspaces/link/", {"workspace": [theirs.pk]})
    create_layer(client, Repository.objects.get(workspace=theirs, slug="api"))
    eves = KnowledgeLayer.objects.get(repository__workspace=theirs)
    for person, own in ((user, layer), (eve, eves)):
        assert list(KnowledgeLayer.objects.visible_to(person)) == [own]
        assert list(Generation.objects.visible_to(person).serving().values_list("layer", flat=True)) == [own.pk]
    page = client.get("/search/", {"q": "create_app"}).content.decode()
    assert f"/knowledge/layers/{eves.pk}/files/acme/app.py" in page and f"/knowledge/layers/{layer.pk}/" not in page
    assert client.get(f"/knowledge/layers/{layer.pk}/").status_code == 404


def test_a_rebuild_switches_generations_and_a_failed_one_keeps_the_previous(signed_in, acme, bitbucket):
    repo = Repository.objects.get(workspace=acme, slug="api")
    create_layer(signed_in, repo)
    layer = KnowledgeLayer.objects.get()
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"acme/extra.py": "def brand_new():\n    pass\n"}, "message": "More"})
    signed_in.post(f"/knowledge/layers/{layer.pk}/retry/")
    layer.refresh_from_db()
    assert layer.active_generation == 2 and Symbol.objects.filter(name="brand_new").exists()
    assert Generation.objects.filter(layer=layer).count() == 1  # the old generation is gone

    bitbucket.control("POST", "/_sandbox/faults", json={"path": r"/get/.*\.tar\.gz", "status": 500, "times": 50})
    page = signed_in.post(f"/knowledge/layers/{layer.pk}/retry/", follow=True).content.decode()
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.FAILED and "500" in layer.failure_reason
    assert layer.active_generation == 2 and "Retry" in page and "previous version is still served" in page
    assert "brand_new" in signed_in.get("/search/", {"q": "brand_new"}).content.decode()

    bitbucket.control("DELETE", "/_sandbox/faults")
    signed_in.post(f"/knowledge/layers/{layer.pk}/retry/")
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.active_generation == 3


def test_symbols_come_from_a_helper_process_and_its_crash_fails_the_build_keeping_the_previous(signed_in, acme, bitbucket, monkeypatch):
    import functools
    import signal

    from knowledge.ingest import parse_helper
    from knowledge.services import incremental, layers

    # Every file its own group, so even this small repository is parsed in a helper (in a full
    # build and in an incremental one alike).
    for module in (layers, incremental):
        monkeypatch.setattr(module, "IngestOptions", functools.partial(module.IngestOptions, parse_group_bytes=1))
    started = []
    submit = parse_helper.Helpers.submit
    monkeypatch.setattr(parse_helper.Helpers, "submit", lambda self, group: (started.append(self), submit(self, group))[1])
    create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    layer = KnowledgeLayer.objects.get()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and started
    assert Symbol.objects.filter(name="create_app").exists()

    def crash_first(self, group):
        self._procs[0].send_signal(signal.SIGKILL)  # as a grammar crashing on hostile source would
        return submit(self, group)

    monkeypatch.setattr(parse_helper.Helpers, "submit", crash_first)
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",  # new source to parse
                      json={"branch": "main", "files": {"acme/new.py": "def fresh():\n    pass\n"}, "message": "New"})
    page = signed_in.post(f"/knowledge/layers/{layer.pk}/retry/", follow=True).content.decode()
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.FAILED
    assert "Symbols could not be extracted (the symbol parser stopped with exit status -9)" in layer.failure_reason
    assert layer.active_generation == 1 and "previous version is still served" in page
    assert Generation.objects.filter(layer=layer).count() == 1


def test_while_bitbucket_waits_to_be_reconnected_layers_stay_readable_and_nothing_is_queued(signed_in, acme, bitbucket):
    from integrations.models import Connection

    create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    layer = KnowledgeLayer.objects.get()
    bitbucket.control("POST", "/_sandbox/users/alice/revoke")
    bitbucket.control("POST", "/_sandbox/tokens/expire")
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    assert Connection.objects.get().status == Connection.Status.RECONNECT

    for page in ("/knowledge/", "/knowledge/repositories/", f"/knowledge/layers/{layer.pk}/"):
        html = signed_in.get(page).content.decode()
        assert "acme/api" in html and "data-reconnect" in html and "nothing was deleted" in html, page
    assert "create_app" in signed_in.get("/search/", {"q": "create_app"}).content.decode()
    page = signed_in.get(f"/knowledge/layers/{layer.pk}/files/acme/app.py")
    assert page.status_code == 200 and "create_app" in page.content.decode()

    seen = len(bitbucket.requests_seen())
    for action in (f"/knowledge/layers/{layer.pk}/retry/", "/knowledge/layers/create/"):
        answer = signed_in.post(action, {"repository": [layer.repository_id]}, follow=True).content.decode()
        assert "Nothing was queued: Bitbucket must be reconnected first." in answer
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and len(bitbucket.requests_seen()) == seen


def test_a_rebuild_parses_only_changed_source_and_keeps_the_other_symbols(signed_in, acme, bitbucket, monkeypatch):
    from knowledge.ingest import pipeline

    def symbols_of(generation):
        return sorted(Symbol.objects.filter(generation=generation).values_list("file__path", "kind", "name", "container", "line", "end_line"))

    parsed = []
    extract = pipeline.extract_symbols
    monkeypatch.setattr(pipeline, "extract_symbols", lambda language, source: parsed.append(source) or extract(language, source))
    repo = Repository.objects.get(workspace=acme, slug="api")
    create_layer(signed_in, repo)
    layer = KnowledgeLayer.objects.get()
    first = Generation.objects.get(layer=layer)
    before, parsed_first = symbols_of(first), len(parsed)
    assert before and parsed_first >= 2

    parsed.clear()
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"acme/extra.py": "def brand_new():\n    pass\n"}, "message": "More"})
    signed_in.post(f"/knowledge/layers/{layer.pk}/retry/")
    layer.refresh_from_db()
    second = Generation.objects.get(layer=layer)
    assert second.number == 2 and parsed == [b"def brand_new():\n    pass\n"]  # only the new file was parsed
    after = symbols_of(second)
    assert after == sorted(before + [("acme/extra.py", "function", "brand_new", "", 1, 2)])
    assert layer.summary["symbols"] == len(after) and layer.summary["symbols_parsed"] == 1

    # Symbols from another extractor (new queries, new grammars) are not reused: all is parsed again.
    Generation.objects.filter(pk=second.pk).update(stats={**second.stats, "symbols_version": "older"})
    parsed.clear()
    signed_in.post(f"/knowledge/layers/{layer.pk}/retry/")
    third = Generation.objects.get(layer=layer)
    assert len(parsed) == parsed_first + 1 and symbols_of(third) == after


def test_a_hostile_archive_is_read_safely_and_the_good_files_still_build(signed_in, acme, bitbucket, tmp_path):
    hostile = archive_with([
        regular("good.py", b"def fine():\n    return 1\n"),
        regular("../escape.py", b"x = 1\n"),
        regular("/etc/passwd.py", b"x = 1\n"),
        special("link.py", tarfile.SYMTYPE, "/etc/passwd"),
        special("hard.py", tarfile.LNKTYPE, "/etc/shadow"),
        special("dev", tarfile.CHRTYPE),
    ])
    path = tmp_path / "hostile.tar.gz"
    path.write_bytes(hostile)
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "hostile", "source": {"archive": str(path)}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    create_layer(signed_in, Repository.objects.get(slug="hostile"))
    layer = KnowledgeLayer.objects.get()
    assert layer.status == KnowledgeLayer.Status.ACTIVE
    generation = Generation.objects.get(layer=layer)
    assert list(generation.files.values_list("path", flat=True)) == ["good.py"]
    reasons = dict(generation.skipped.values_list("path", "reason"))
    assert set(reasons.values()) >= {"parent traversal", "absolute path", "symlink", "hardlink", "device"}
    assert not (tmp_path.parent / "escape.py").exists()


@pytest.mark.parametrize("bad", [b"PK\x03\x04 a zip, not a tar.gz", b"", gzip.compress(b"not a tar at all" * 64)],
                         ids=["zip", "empty", "gzip-of-garbage"])
def test_an_archive_that_is_not_a_tar_gz_fails_and_the_previous_version_serves(signed_in, acme, bitbucket, tmp_path, bad):
    path = tmp_path / "swap.tar.gz"
    path.write_bytes(archive_with([regular("keep.py", b"def still_served():\n    pass\n")]))
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "swap", "source": {"archive": str(path)}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    create_layer(signed_in, Repository.objects.get(slug="swap"))
    layer = KnowledgeLayer.objects.get()
    assert layer.status == KnowledgeLayer.Status.ACTIVE

    path.write_bytes(bad)  # the sandbox serves the file as it is at each download
    page = signed_in.post(f"/knowledge/layers/{layer.pk}/retry/", follow=True).content.decode()
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.FAILED and layer.failure_reason.startswith("The archive was refused: ")
    assert layer.active_generation == 1 and layer.summary["files"] == 1 and "previous version is still served" in page
    assert "still_served" in signed_in.get("/search/", {"q": "still_served"}).content.decode()


def test_an_archive_past_the_file_cap_keeps_the_files_read_and_says_so(signed_in, acme, bitbucket, tmp_path, settings):
    settings.INGEST_MAX_FILES = 5
    path = tmp_path / "many.tar.gz"
    path.write_bytes(archive_with([regular(f"m{n:02}.py", f"def f{n}():\n    pass\n".encode()) for n in range(12)]))
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "many", "source": {"archive": str(path)}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    create_layer(signed_in, Repository.objects.get(slug="many"))
    layer = KnowledgeLayer.objects.get()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.summary["files"] == 5
    assert layer.summary["notes"] == ["Stopped early: archive has more than 5 files. The layer holds the files read before that point."]
    assert "archive has more than 5 files" in signed_in.get(f"/knowledge/layers/{layer.pk}/").content.decode()

    settings.INGEST_MAX_FILES = 0  # nothing can be read: not a layer worth serving
    signed_in.post(f"/knowledge/layers/{layer.pk}/retry/")
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.FAILED and "before any file could be read" in layer.failure_reason
    assert layer.active_generation == 1


def test_an_archive_of_only_skipped_entries_builds_an_empty_layer_that_says_why(signed_in, acme, bitbucket, tmp_path):
    path = tmp_path / "links.tar.gz"
    path.write_bytes(archive_with([special("a.py", tarfile.SYMTYPE, "/etc/passwd"), special("b", tarfile.FIFOTYPE)]))
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "links", "source": {"archive": str(path)}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    create_layer(signed_in, Repository.objects.get(slug="links"))
    layer = KnowledgeLayer.objects.get()
    page = signed_in.get(f"/knowledge/layers/{layer.pk}/", {"tab": "files"}).content.decode()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.summary["files"] == 0
    assert "No files: everything in the archive was skipped" in page and "Too many files" not in page
    assert "symlink" in page and "fifo" in page


def test_a_truncated_archive_fails_and_stores_nothing_half_built(signed_in, acme, bitbucket, tmp_path):
    whole = archive_with([regular(f"m{n}.py", (f"def f{n}():\n    pass\n" * 200).encode()) for n in range(50)])
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(whole[: len(whole) // 2])
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "cut", "source": {"archive": str(path)}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    create_layer(signed_in, Repository.objects.get(slug="cut"))
    layer = KnowledgeLayer.objects.get()
    assert layer.status == KnowledgeLayer.Status.FAILED and "cut short" in layer.failure_reason
    assert layer.active_generation is None
    assert not Generation.objects.filter(layer=layer).exists() and not LayerFile.objects.exists()


def test_relative_links_in_docs_open_the_linked_file_in_the_layer(signed_in, acme, bitbucket):
    readme = "# Guide\n\nSee [usage](docs/usage.md#setup) and [the app](/acme/app.py).\n"
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"README.md": readme, "docs/usage.md": "# Usage\n"}, "message": "Docs"})
    create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    layer = KnowledgeLayer.objects.get()
    page = signed_in.get(f"/knowledge/layers/{layer.pk}/").content.decode()
    usage = f"/knowledge/layers/{layer.pk}/files/docs/usage.md"
    assert f'href="{usage}#setup"' in page and f'href="/knowledge/layers/{layer.pk}/files/acme/app.py"' in page
    assert "Usage" in signed_in.get(usage).content.decode()


def test_every_text_file_reads_back_exactly_and_vendored_text_is_kept_but_not_searched(signed_in, acme, bitbucket, tmp_path):
    minified = "var a=1;" * 1500 + "function lateNeedle(){}"  # one 12 KB line: past a chunk's size
    source = "def first():\n    pass\n" * 40 + minified + "\n\n\n"
    vendored = "function vendoredNeedle() {}\n" * 80
    path = tmp_path / "exact.tar.gz"
    path.write_bytes(archive_with([
        regular("src/app.js", source.encode()),
        regular("node_modules/lib/index.js", vendored.encode()),
        regular("data.bin", bytes(range(256)) * 8),
    ]))
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "exact", "source": {"archive": str(path)}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    create_layer(signed_in, Repository.objects.get(slug="exact"))
    layer = KnowledgeLayer.objects.get()
    assert layer.status == KnowledgeLayer.Status.ACTIVE

    token = signed_in.post("/profile/tokens/", {"name": "t"}, follow=True).content.decode().split('<code id="new-token">')[1].split("<")[0]
    def content(file_path):
        answer = signed_in.get(f"/api/v1/layers/{layer.pk}/files/{file_path}", HTTP_AUTHORIZATION=f"Bearer {token}")
        return answer.json()["content"]

    assert content("src/app.js") == source and content("node_modules/lib/index.js") == vendored
    assert content("data.bin") is None
    page = signed_in.get(f"/knowledge/layers/{layer.pk}/files/node_modules/lib/index.js").content.decode()
    assert page.count('class="ln"') == vendored.count("\n") == LayerFile.objects.get(path="node_modules/lib/index.js").lines
    assert "vendoredNeedle" in page

    # The end of a 12 KB line is found, and its snippet shows the match, not the line's start.
    assert "<mark>lateNeedle</mark>" in signed_in.get("/search/", {"q": "lateNeedle"}).content.decode()
    results = signed_in.get("/search/", {"q": "vendoredNeedle"}).content.decode()
    assert "node_modules/lib/index.js" not in results


def test_progress_counts_files_and_shows_a_total_only_when_one_is_known(signed_in, acme, bitbucket, tmp_path, monkeypatch):
    from knowledge.services import layers
    from knowledge.services.writer import GenerationWriter

    path = tmp_path / "steps.tar.gz"
    path.write_bytes(archive_with([regular(f"m{n:02}.py", f"def f{n}():\n    pass\n".encode()) for n in range(9)]))
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "steps", "source": {"archive": str(path)}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    monkeypatch.setattr(layers, "BATCH", 4)
    seen, write = [], GenerationWriter.write

    def watching(self, batch):  # what the page shows while the build runs, before each batch
        layer = KnowledgeLayer.objects.get()
        fragment = signed_in.get(f"/knowledge/layers/{layer.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
        seen.append((layer.files_done, layer.files_total, "files so far" in fragment, "of ~" in fragment))
        return write(self, batch)

    monkeypatch.setattr(GenerationWriter, "write", watching)
    create_layer(signed_in, Repository.objects.get(slug="steps"))
    # The sandbox, like Bitbucket, streams the archive without its size: the first build counts.
    assert seen == [(0, 0, True, False), (4, 0, True, False), (8, 0, True, False)]

    seen.clear()
    signed_in.post(f"/knowledge/layers/{KnowledgeLayer.objects.get().pk}/retry/")
    # A rebuild expects as many files as the version it replaces.
    assert seen == [(0, 9, False, True), (4, 9, False, True), (8, 9, False, True)]


def test_a_build_holds_a_bounded_amount_of_text_however_large_the_files(signed_in, acme, bitbucket, tmp_path, monkeypatch):
    import tracemalloc

    from knowledge.services import layers

    megabyte = b"module.exports = 1;\n" * 52_000  # ~1 MiB of vendored text: stored, not indexed
    members = [regular(f"node_modules/pkg{n}/index.js", megabyte) for n in range(24)]
    path = tmp_path / "big.tar.gz"
    path.write_bytes(archive_with(members))
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "big", "source": {"archive": str(path)}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    monkeypatch.setattr(layers, "BATCH_CHARS", 3 * len(megabyte))
    tracemalloc.start()
    try:
        create_layer(signed_in, Repository.objects.get(slug="big"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    layer = KnowledgeLayer.objects.get()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.summary["files"] == 24
    # Twenty-four megabytes went through; a few batches' worth was ever held at once.
    assert peak < 16 * len(megabyte), f"peak {peak / 2**20:.1f} MiB"


def test_a_build_whose_worker_died_is_failed_by_the_sweep_and_can_be_retried(signed_in, acme):
    create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    layer = KnowledgeLayer.objects.get()
    generation = Generation.objects.create(layer=layer, number=9)  # what the dead worker left
    LayerFile.objects.create(generation=generation, path="half.py", size=1, sha256="0" * 64)
    KnowledgeLayer.objects.filter(pk=layer.pk).update(status=KnowledgeLayer.Status.SYNCING, updated_at="2000-01-01T00:00:00Z")
    assert tasks.resume_stalled_layers() == 1
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.FAILED and "press Retry" in layer.failure_reason
    assert layer.active_generation == 1 and not Generation.objects.filter(number=9).exists()
    signed_in.post(f"/knowledge/layers/{layer.pk}/retry/")
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.active_generation == 2


def test_a_running_build_beats_so_the_sweep_leaves_it_alone(signed_in, acme, settings, monkeypatch):
    import time

    from knowledge.services.writer import GenerationWriter

    settings.LAYER_HEARTBEAT_SECONDS = 0.05
    swept, write = [], GenerationWriter.write

    def slow_batch(self, batch):  # a build that makes no progress for a long while…
        KnowledgeLayer.objects.update(updated_at="2000-01-01T00:00:00Z")
        time.sleep(0.5)  # …but whose worker is alive: its heartbeat goes on
        swept.append(layers_resume_stalled(stalled_after_s=60, lost_after_s=3600))
        return write(self, batch)

    monkeypatch.setattr(GenerationWriter, "write", slow_batch)
    create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    assert swept and set(swept) == {0}
    assert KnowledgeLayer.objects.get().status == KnowledgeLayer.Status.ACTIVE


def test_a_build_the_sweep_gave_up_on_leaves_nothing_behind_when_it_ends(signed_in, acme, monkeypatch):
    from knowledge.models import ContentChunk
    from knowledge.services.writer import GenerationWriter

    write = GenerationWriter.write

    def swept_meanwhile(self, batch):  # as if the worker had been silent past the stall time
        written = write(self, batch)
        KnowledgeLayer.objects.update(updated_at="2000-01-01T00:00:00Z")
        layers_resume_stalled(stalled_after_s=60, lost_after_s=3600)
        return written

    monkeypatch.setattr(GenerationWriter, "write", swept_meanwhile)
    create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    layer = KnowledgeLayer.objects.get()
    assert layer.status == KnowledgeLayer.Status.FAILED and "stopped without finishing" in layer.failure_reason
    assert layer.active_generation is None
    assert not (Generation.objects.exists() or LayerFile.objects.exists() or ContentChunk.objects.exists() or Symbol.objects.exists())


def test_a_push_during_a_build_that_died_is_built_once_the_sweep_fails_it(signed_in, acme, bitbucket):
    create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    layer = KnowledgeLayer.objects.get()
    bitbucket.control("POST", "/_sandbox/repositories/acme/api/commits",
                      json={"branch": "main", "files": {"acme/late.py": "def late():\n    pass\n"}})
    KnowledgeLayer.objects.filter(pk=layer.pk).update(  # a worker died mid-build; a push came meanwhile
        status=KnowledgeLayer.Status.SYNCING, rebuild_requested=True, updated_at="2000-01-01T00:00:00Z")
    assert tasks.resume_stalled_layers() == 1
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.active_generation == 2 and not layer.rebuild_requested


def test_a_rebuild_asked_for_during_a_build_runs_after_it(signed_in, acme, bitbucket):
    repo = Repository.objects.get(workspace=acme, slug="api")
    layer = KnowledgeLayer.objects.create(repository=repo, status=KnowledgeLayer.Status.SYNCING)
    assert layer_requeue(layer_id=layer.pk) is False  # busy: remembered, not lost
    KnowledgeLayer.objects.filter(pk=layer.pk).update(status=KnowledgeLayer.Status.QUEUED)
    layer_build(layer_id=layer.pk)
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and not layer.rebuild_requested
    # The second build ran and found the head it was asked for already served: nothing to redo.
    heads = [r for r in bitbucket.requests_seen() if r["path"].endswith("/refs/branches/main")]
    assert len(heads) == 2 and layer.active_generation == 1


def test_a_common_name_s_own_definition_comes_first_however_many_names_contain_it(signed_in, acme, bitbucket, tmp_path):
    crowd = "".join(f"class Base{n}Model:\n    pass\n\n\nclass Model{n}Mixin:\n    pass\n\n\n" for n in range(150))
    path = tmp_path / "models.tar.gz"
    path.write_bytes(archive_with([regular("crowd.py", crowd.encode()), regular("zz/base.py", b"class Model:\n    pass\n")]))
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "models", "source": {"archive": str(path)}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    create_layer(signed_in, Repository.objects.get(slug="models"))

    from knowledge.search import Scope, parse, search_results

    hits = search_results(user=KnowledgeLayer.objects.get().repository.workspace.connection.user,
                          scope=Scope(parse("model"), kind="symbol")).results
    assert (hits[0].definition.name, hits[0].path, hits[0].line) == ("Model", "zz/base.py", 1)
    assert hits[1].definition.name.lower().startswith("model")  # then names that start with it


def test_the_layer_page_counts_in_words_people_read(signed_in, acme, bitbucket, tmp_path):
    members = [regular("app.py", b"class A:\n    pass\n\n\nclass B:\n    pass\n\n\ndef only():\n    pass\n"),
               regular("web.js", b"export function start() {}\n")]
    members += [regular(f"docs/page{n:02}.md", f"# Page {n}\n".encode()) for n in range(60)]
    path = tmp_path / "words.tar.gz"
    path.write_bytes(archive_with(members))
    bitbucket.control("POST", "/_sandbox/repositories", json={"workspace": "acme", "slug": "words", "source": {"archive": str(path)}})
    signed_in.post("/integrations/bitbucket/workspaces/refresh/")
    create_layer(signed_in, Repository.objects.get(slug="words"))
    url = f"/knowledge/layers/{KnowledgeLayer.objects.get().pk}/"
    symbols = signed_in.get(url, {"tab": "symbols"}).content.decode()
    assert "2 classes" in symbols and "2 functions" in symbols and "classs" not in symbols
    overview = signed_in.get(url).content.decode()
    assert 'title="Python 69%"' in overview and 'title="JavaScript 31%"' in overview  # shares, not fractions
    assert "code by bytes: Python 69%, JavaScript 31%" in overview  # the bar read aloud
    docs = signed_in.get(url, {"tab": "docs"}).content.decode()
    assert "Docs <span class=\"muted\">(60)</span>" in docs and "1–50 of 60 docs" in docs


def test_forms_only_send_the_user_back_to_our_own_pages(signed_in, acme):
    repo = Repository.objects.get(workspace=acme, slug="api")
    answer = signed_in.post("/knowledge/layers/create/", {"repository": [repo.pk], "next": "https://evil.example/x"})
    assert answer.status_code == 302 and answer["Location"] == "/knowledge/repositories/"
    answer = signed_in.post("/knowledge/layers/create/", {"repository": [repo.pk], "next": "/knowledge/?q=1"})
    assert answer["Location"] == "/knowledge/?q=1"
    layer = KnowledgeLayer.objects.get()
    for odd in ["abc", "0", "-1", "_", "%", "a\x00b", "🙂", "//evil.example", "/\x00", "javascript:alert(1)"]:
        for action in ("/knowledge/layers/create/", f"/knowledge/layers/{layer.pk}/retry/"):
            answer = signed_in.post(action, {"repository": [repo.pk], "next": odd})
            assert answer.status_code == 302 and answer["Location"] in ("/knowledge/repositories/", "/knowledge/"), (action, odd)


def test_odd_search_input_answers_normally(signed_in, acme):
    create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    layer = KnowledgeLayer.objects.get()
    for query in ["\x00create_app", "x" * 5000, "'; DROP TABLE x; --", "%_", "İİ", "a\x00"]:
        assert signed_in.get("/search/", {"q": query}).status_code == 200
        assert signed_in.get("/knowledge/repositories/", {"q": query, "workspace": query}).status_code == 200
        assert signed_in.get(f"/knowledge/layers/{layer.pk}/", {"symbols": query}).status_code == 200
    # Ids that are not ids choose nothing: superscripts, other scripts' digits, past bigint.
    for value in ["²", "٣", "99999999999999999999999", "-1", "1e3"]:
        answer = signed_in.post("/knowledge/layers/create/", {"repository": [value]}, follow=True)
        assert answer.status_code == 200 and "Select at least one repository." in answer.content.decode()
        assert signed_in.post("/integrations/bitbucket/workspaces/link/", {"workspace": [value]}).status_code in (200, 302)
    for path in ["acme/app.py%00", "acme/app.py\x00", "../../etc/passwd", "%2e%2e/x"]:
        assert signed_in.get(f"/knowledge/layers/{layer.pk}/files/{path}").status_code == 404
    assert "<mark>create_app</mark>" in signed_in.get("/search/", {"q": "\x00create_app"}).content.decode()


def test_a_build_shows_its_progress_to_other_connections_before_it_is_active(signed_in, acme, settings):
    from django.db import connection, connections

    settings.LAYER_PROGRESS_SECONDS = 0  # a repository of a few files: write progress after each one
    observer = connections.create_connection("default")  # what the layer page's poll would read
    seen: list[tuple[str, int]] = []

    def observe(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "knowledge_knowledgelayer"') and "files_done" in sql:
            with observer.cursor() as cursor:
                cursor.execute("SELECT status, files_done FROM knowledge_knowledgelayer")
                seen.extend(cursor.fetchall())
        return result

    try:
        with connection.execute_wrapper(observe):
            create_layer(signed_in, Repository.objects.get(workspace=acme, slug="api"))
    finally:
        observer.close()
    layer = KnowledgeLayer.objects.get()
    files = layer.summary["files"]
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.files_done == files
    during = [done for status, done in seen if status == KnowledgeLayer.Status.SYNCING]
    assert files > 2 and during == sorted(during) and any(0 < done < files for done in during), seen
