"""Incremental refresh against a full build, on the Django 5.2 source distribution (about 7,000 files):
three 3-file pushes, each applied file by file and then built again in full at the same commit, in
the same run (medians), with the Bitbucket requests each made as the sandbox counted them. Then
what the design turned down: copying the unchanged rows into a new generation inside the database
(INSERT … SELECT), timed table by table."""
from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import requests

from bench.harness import emit, sandbox, settle
from bench.layers import SCOPES, TOKEN, _sdist, connection_vendor

RUNS = 3
# Each run modifies a module, adds one and renames one: three changed files.
MODIFIED = ["django/utils/text.py", "django/utils/html.py", "django/utils/functional.py"]
RENAMED = ["django/utils/termcolors.py", "django/utils/duration.py", "django/utils/hashable.py"]


def _push(url: str, run: int, head: str) -> dict:
    from integrations.bitbucket import endpoints
    from integrations.bitbucket.client import BasicCredentials, BitbucketClient

    source = endpoints.src_file(BitbucketClient(BasicCredentials("bench@example.com", TOKEN)), "bench", "django", head, MODIFIED[run])
    answer = requests.post(f"{url}/_sandbox/repositories/bench/django/commits", timeout=60, json={
        "branch": "main", "message": f"bench push {run}",
        "files": {MODIFIED[run]: source.decode() + f"\n\ndef bench_added_{run}(value):\n    return value\n",
                  f"django/utils/bench_new_{run}.py": f'"""Added by the bench."""\n\n\ndef bench_new_{run}():\n    return {run}\n'},
        "rename": {RENAMED[run]: RENAMED[run].replace(".py", f"_moved_{run}.py")},
    })
    answer.raise_for_status()
    return answer.json()


def _requests_since(url: str, seq: int) -> list[dict]:
    return requests.get(f"{url}/_sandbox/requests", params={"since": seq}, timeout=30).json()["requests"]


def _last_seq(url: str) -> int:
    seen = _requests_since(url, 0)
    return seen[-1]["seq"] if seen else 0


def _timed_build(url: str, layer_id: int, *, from_archive: bool) -> dict:
    """One build, run in-process as a worker runs it: seconds until Active, seconds with the index
    compaction that follows, and the Bitbucket requests it made."""
    from django.utils import timezone

    from knowledge.models import KnowledgeLayer
    from knowledge.selectors import serving_generation
    from knowledge.services.layers import layer_requeue

    settle()
    seq = _last_seq(url)
    started_at, started = timezone.now(), time.perf_counter()
    layer_requeue(layer_id=layer_id, from_archive=from_archive)
    total = time.perf_counter() - started
    layer = KnowledgeLayer.objects.get(pk=layer_id)
    assert layer.status == KnowledgeLayer.Status.ACTIVE, layer.failure_reason
    generation = serving_generation(layer)
    return {"seconds": (generation.finished_at - started_at).total_seconds(), "total": total,
            "calls": len(_requests_since(url, seq)), "built": layer.summary["built"]}


def _archive_seconds(url: str, commit: str) -> float:
    """How long the sandbox takes to make and send the commit's archive (part of a full build here;
    on Bitbucket, its own servers' time)."""
    started = time.perf_counter()
    with requests.get(f"{url}/bench/django/get/{commit}.tar.gz", auth=("bench@example.com", TOKEN), stream=True, timeout=300) as answer:
        for _ in answer.iter_content(1 << 20):
            pass
    return time.perf_counter() - started


def _copy_alternative(layer_id: int, full_seconds: float) -> None:
    """Copy the serving generation's rows into a scratch generation with INSERT … SELECT, as an
    incremental build would have to for every unchanged file, and time it."""
    from django.db import connection

    from knowledge.models import Generation, KnowledgeLayer
    from knowledge.selectors import serving_generation
    from knowledge.services.writer import generation_purge

    layer = KnowledgeLayer.objects.get(pk=layer_id)
    served = serving_generation(layer)
    scratch = Generation.objects.create(layer=layer, number=10_000, status=Generation.Status.FAILED)
    join = ("FROM knowledge_layerfile nf JOIN knowledge_layerfile f ON f.generation_id = %s AND f.path = nf.path "
            "JOIN {table} r ON r.file_id = f.id WHERE nf.generation_id = %s")
    statements = {
        "files": ("INSERT INTO knowledge_layerfile (generation_id, path, size, sha256, language, lines, is_binary, is_vendored,"
                  " is_generated, is_truncated) SELECT %s, path, size, sha256, language, lines, is_binary, is_vendored,"
                  " is_generated, is_truncated FROM knowledge_layerfile WHERE generation_id = %s", [scratch.pk, served.pk]),
        "chunks": ("INSERT INTO knowledge_contentchunk (generation_id, file_id, start_line, text, searchable)"
                   " SELECT %s, nf.id, r.start_line, r.text, r.searchable " + join.format(table="knowledge_contentchunk"),
                   [scratch.pk, served.pk, scratch.pk]),
        "symbols": ("INSERT INTO knowledge_symbol (generation_id, file_id, kind, name, container, line, end_line)"
                    " SELECT %s, nf.id, r.kind, r.name, r.container, r.line, r.end_line " + join.format(table="knowledge_symbol"),
                    [scratch.pk, served.pk, scratch.pk]),
    }
    settle()
    seconds, rows = {}, {}
    try:
        with connection.cursor() as cursor:
            for table, (sql, params) in statements.items():
                started = time.perf_counter()
                cursor.execute(sql, params)
                seconds[table], rows[table] = round(time.perf_counter() - started, 2), cursor.rowcount
    finally:
        generation_purge(generation_id=scratch.pk)
    total = sum(seconds.values())
    emit("incremental_copy_alternative", rows=rows, seconds=seconds, total_seconds=round(total, 2),
         ratio_to_full=round(total / full_seconds, 3), database=connection_vendor())


def run() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from integrations.models import Repository, Workspace
    from integrations.services.connection import connection_connect_api_token
    from integrations.services.workspaces import workspaces_link
    from knowledge.models import KnowledgeLayer
    from knowledge.selectors import serving_generation
    from knowledge.services.layers import layers_create

    sdist = _sdist()
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.json"
        seed.write_text(json.dumps({
            "users": [{"nickname": "bench", "email": "bench@example.com", "api_tokens": [{"token": TOKEN, "scopes": SCOPES}]}],
            "workspaces": [{"slug": "bench", "name": "Bench", "members": {"bench": "owner"}}],
            "repositories": [{"workspace": "bench", "slug": "django", "source": {"archive": str(sdist)}}],
        }))
        with sandbox(seed) as url:
            settings.BITBUCKET_API_URL = settings.BITBUCKET_WEB_URL = url
            user = get_user_model().objects.create_user(username="bench-incremental", email="bench-incremental@example.com")
            connection = connection_connect_api_token(user=user, email="bench@example.com", token=TOKEN)
            workspaces_link(connection=connection, workspace_ids=Workspace.objects.filter(connection=connection).values_list("pk", flat=True))
            repo = Repository.objects.get(workspace__connection=connection, slug="django")
            settle()
            started = time.perf_counter()
            layers_create(user=user, repository_ids=[repo.pk])
            first = time.perf_counter() - started
            layer = KnowledgeLayer.objects.get(repository=repo)
            assert layer.status == KnowledgeLayer.Status.ACTIVE, layer.failure_reason
            files = layer.summary["files"]

            incremental, full, archives = [], [], []
            for run_number in range(RUNS):
                layer.refresh_from_db()
                commit = _push(url, run_number, serving_generation(layer).commit)["hash"]
                applied = _timed_build(url, layer.pk, from_archive=False)
                assert applied["built"]["mode"] == "incremental" and applied["built"]["changed"] == 3, applied["built"]
                incremental.append(applied)
                full.append(_timed_build(url, layer.pk, from_archive=True))  # the same commit, from the archive
                archives.append(_archive_seconds(url, commit))
            _copy_alternative(layer.pk, statistics.median(r["seconds"] for r in full))

    def median(rows: list[dict], key: str) -> float:
        return round(statistics.median(r[key] for r in rows), 3)

    inc, whole = median(incremental, "seconds"), median(full, "seconds")
    emit("incremental_push", files=files, files_changed=3, incremental_seconds=inc, full_seconds=whole,
         ratio=round(inc / whole, 4), incremental_api_calls=max(r["calls"] for r in incremental),
         full_api_calls=max(r["calls"] for r in full), incremental_seconds_with_compaction=median(incremental, "total"),
         full_seconds_with_compaction=median(full, "total"), first_build_seconds=round(first, 2),
         ratio_to_first_build=round(inc / first, 4), sandbox_archive_seconds=round(statistics.median(archives), 2),
         incremental_runs=[round(r["seconds"], 3) for r in incremental], full_runs=[round(r["seconds"], 2) for r in full],
         database=connection_vendor())
