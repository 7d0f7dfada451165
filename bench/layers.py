"""Knowledge layers end to end: ingest of the Django 5.2 source distribution served by the sandbox
(MB/s, files/s, ratio to `ctags -R`; medians of three first builds and of three rebuilds), then
search latency over six layers (p50/p95 of the Search page's work for a literal, an identifier and
a path, ratio to `rg`; and of the counts alone), and on PostgreSQL pg_trgm measured against tsvector."""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench.harness import ROOT, emit, sandbox, settle

DJANGO = "django==5.2.19"
PACKAGES = ["requests", "urllib3", "idna", "pygments", "jsonschema"]
QUERIES = {"literal": "Content-Type", "identifier": "get_object_or_404", "path": "middleware/csrf"}
RUNS = 40
INGEST_RUNS = 3
TOKEN = "bench-layers-token"
SCOPES = ["read:user:bitbucket", "read:workspace:bitbucket", "read:repository:bitbucket"]
WORK = ROOT / "bench" / ".work"


def _sdist() -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    found = sorted(WORK.glob("django-*.tar.gz"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps", DJANGO,
                        "-d", str(WORK)], check=True)
        found = sorted(WORK.glob("django-*.tar.gz"))
    return found[-1]


def _seed(path: Path, sdist: Path) -> None:
    repos = [{"workspace": "bench", "slug": "django", "source": {"archive": str(sdist)}}]
    repos += [{"workspace": "bench", "slug": name, "source": {"python_package": name}} for name in PACKAGES]
    path.write_text(json.dumps({
        "users": [{"nickname": "bench", "email": "bench@example.com", "api_tokens": [{"token": TOKEN, "scopes": SCOPES}]}],
        "workspaces": [{"slug": "bench", "name": "Bench", "members": {"bench": "owner"}}],
        "repositories": repos,
    }))


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


def _timed(fn, runs: int = RUNS) -> list[float]:
    fn()  # warm caches once, as a user's second query would find them
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def _ctags_seconds(tree: Path) -> float | None:
    if not shutil.which("ctags"):
        return None
    started = time.perf_counter()
    subprocess.run(["ctags", "-R", "-f", str(tree.parent / "tags"), str(tree)], check=True, capture_output=True)
    return time.perf_counter() - started


def _rg_seconds(tree: Path, query: str, *, path: bool = False) -> float | None:
    if not shutil.which("rg"):
        return None
    command = ["rg", "--files", str(tree)] if path else ["rg", "-n", "-i", "-F", "--max-count", "3", query, str(tree)]

    def run():
        subprocess.run(command, capture_output=True)

    return statistics.median(_timed(run, runs=10))


def run() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from integrations.models import Repository, Workspace
    from integrations.services.connection import connection_connect_api_token
    from integrations.services.workspaces import workspaces_link
    from knowledge.models import Generation, KnowledgeLayer
    from knowledge.search import Scope, layers_in_scope, parse, search_overview
    from knowledge.search.results import KINDS, count, few_files
    from knowledge.services.layers import layer_requeue, layers_create
    from knowledge.services.writer import generation_purge

    sdist = _sdist()
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.json"
        _seed(seed, sdist)
        with sandbox(seed) as url:
            settings.BITBUCKET_API_URL = settings.BITBUCKET_WEB_URL = url
            user = get_user_model().objects.create_user(username="bench-layers", email="bench-layers@example.com")
            connection = connection_connect_api_token(user=user, email="bench@example.com", token=TOKEN)
            workspaces_link(connection=connection, workspace_ids=Workspace.objects.filter(connection=connection).values_list("pk", flat=True))
            django_repo = Repository.objects.get(workspace__connection=connection, slug="django")
            # INGEST_RUNS first builds (a fresh layer each time) and as many rebuilds of the same
            # commit (a push that changed nothing parsed: symbols are copied, everything else redone);
            # medians, as the machine is noisy.
            def timed_build(start) -> tuple[float, float, Generation]:
                settle()
                started_at, started = timezone.now(), time.perf_counter()
                start()  # jobs run in-process: the build, then the index compaction
                total = time.perf_counter() - started
                layer = KnowledgeLayer.objects.get(repository=django_repo)
                assert layer.status == KnowledgeLayer.Status.ACTIVE, layer.failure_reason
                generation = Generation.objects.get(layer=layer, number=layer.active_generation)
                return (generation.finished_at - started_at).total_seconds(), total, generation  # until Active

            firsts, totals = [], []
            for run_number in range(INGEST_RUNS):
                if run_number:  # start afresh: no layer, nothing to reuse
                    layer = KnowledgeLayer.objects.get(repository=django_repo)
                    for old in Generation.objects.filter(layer=layer).values_list("pk", flat=True):
                        generation_purge(generation_id=old)
                    layer.delete()
                seconds, total, generation = timed_build(lambda: layers_create(user=user, repository_ids=[django_repo.pk]))
                firsts.append(seconds)
                totals.append(total)
            stats = generation.stats
            rebuilds = [
                # from_archive: read in full, as Retry does (a push of the served head builds nothing).
                timed_build(lambda: layer_requeue(layer_id=KnowledgeLayer.objects.get(repository=django_repo).pk, from_archive=True))[0]
                for _ in range(INGEST_RUNS)
            ]
            seconds, total = statistics.median(firsts), statistics.median(totals)
            others = Repository.objects.filter(workspace__connection=connection).exclude(pk=django_repo.pk)
            layers_create(user=user, repository_ids=others.values_list("pk", flat=True))
        layer_count = KnowledgeLayer.objects.filter(repository__workspace__connection=connection, status="active").count()

        tree = Path(tmp) / "tree"
        with tarfile.open(sdist) as tar:
            tar.extractall(tree, filter="data")  # the bench's own copy for ctags and rg, not the product
        ctags = _ctags_seconds(tree)
        mb = stats["bytes"] / 1e6
        emit("ingest_django_sdist", files=stats["files"], symbols=stats["symbols"], megabytes=round(mb, 1),
             archive_megabytes=round(sdist.stat().st_size / 1e6, 1), seconds=round(seconds, 2),
             mb_per_s=round(mb / seconds, 1), files_per_s=round(stats["files"] / seconds),
             runs_seconds=[round(r, 2) for r in firsts],
             rebuild_seconds=round(statistics.median(rebuilds), 2), rebuild_runs_seconds=[round(r, 2) for r in rebuilds],
             seconds_with_index_compaction=round(total, 2), ctags_seconds=ctags and round(ctags, 2),
             ratio_to_ctags=ctags and round(seconds / ctags, 1), database=connection_vendor())

        # Right after the rebuilds, their dead rows still sit in the indexes; then vacuumed, as
        # autovacuum does soon after (knowledge migration 0004), which is what the search figures show.
        def page(query: str):  # what the Search page does for a query: counts, symbols, paths, a page of files
            return search_overview(user=user, scope=Scope(parse(query)))

        def counts(query: str):  # the counts alone: symbols, paths and files with a matching line
            scope = Scope(parse(query))
            layers = layers_in_scope(user=user, scope=scope)
            indexed = not few_files(scope, layers)
            return {kind: count(kind, scope, layers, indexed=indexed).words for kind in KINDS}

        p50, _ = _percentiles(_timed(lambda: page(QUERIES["literal"]), runs=10))
        emit("search_literal_before_vacuum", query=QUERIES["literal"], p50_ms=round(p50, 1), database=connection_vendor())
        settle()
        for kind, query in QUERIES.items():
            p50, p95 = _percentiles(_timed(lambda query=query: page(query)))
            shown = page(query)
            hits = len(shown.symbols) + len(shown.paths) + len(shown.content.results)
            rg = _rg_seconds(tree, query, path=kind == "path")
            emit(f"search_{kind}", query=query, layers=layer_count, hits=hits, p50_ms=round(p50, 1), p95_ms=round(p95, 1),
                 rg_ms=rg and round(rg * 1000, 1), ratio_to_rg=rg and round(p50 / (rg * 1000), 2), database=connection_vendor())
            p50, p95 = _percentiles(_timed(lambda query=query: counts(query)))
            emit(f"search_count_{kind}", query=query, counts=counts(query), p50_ms=round(p50, 1), p95_ms=round(p95, 1),
                 database=connection_vendor())
        if connection_vendor() == "postgresql":
            _trigram_against_tsvector(user)


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


def _trigram_against_tsvector(user) -> None:
    """The same content queries through pg_trgm (the product's choice) and through a tsvector index."""
    from django.db import connection

    from knowledge.search import active_generations

    generation_ids = list(active_generations(user=user).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("CREATE INDEX bench_chunk_tsv ON knowledge_contentchunk USING gin (to_tsvector('simple', text)) WHERE searchable")
        tsv_build = time.perf_counter() - started
        cursor.execute("SELECT pg_relation_size('bench_chunk_tsv'), pg_relation_size('contentchunk_text_trgm')")
        tsv_size, trgm_size = cursor.fetchone()
        for kind in ("literal", "identifier"):
            query = QUERIES[kind]

            def trigram(query=query):
                cursor.execute("SELECT id FROM knowledge_contentchunk WHERE generation_id = ANY(%s) AND searchable"
                               " AND text ILIKE %s LIMIT 30",
                               [generation_ids, f"%{query}%"])
                return len(cursor.fetchall())

            def tsvector(query=query):
                cursor.execute("SELECT id FROM knowledge_contentchunk WHERE generation_id = ANY(%s) AND searchable AND "
                               "to_tsvector('simple', text) @@ phraseto_tsquery('simple', %s) LIMIT 30", [generation_ids, query])
                return len(cursor.fetchall())

            t50, _ = _percentiles(_timed(trigram))
            v50, _ = _percentiles(_timed(tsvector))
            emit(f"index_{kind}", query=query, trigram_p50_ms=round(t50, 2), tsvector_p50_ms=round(v50, 2),
                 trigram_hits=trigram(), tsvector_hits=tsvector(), trigram_index_mb=round(trgm_size / 1e6, 1),
                 tsvector_index_mb=round(tsv_size / 1e6, 1), tsvector_build_s=round(tsv_build, 2))
        cursor.execute("DROP INDEX bench_chunk_tsv")
