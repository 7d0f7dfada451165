"""Disconnecting a workspace holding ≥ 1,000,000 rows of layer data: seconds per bounded step and in
total, and worker peak memory."""
from __future__ import annotations

import multiprocessing
import os
import resource
import time

from bench.harness import emit

SYMBOLS = 1_000_000
FILES = 20_000
REPOSITORIES = 10


def _fill(workspace) -> int:
    """Bulk-load layer rows with set-based SQL (generate_series), as a large customer would have."""
    from django.db import connection

    from integrations.models import Repository
    from knowledge.models import Generation, KnowledgeLayer

    generations = []
    for r in range(REPOSITORIES):
        repo = Repository.objects.create(workspace=workspace, uuid=f"{{r-{r}}}", slug=f"r{r}", name=f"r{r}", full_name=f"big/r{r}")
        layer = KnowledgeLayer.objects.create(repository=repo, status=KnowledgeLayer.Status.ACTIVE, active_generation=1)
        generations.append(Generation.objects.create(layer=layer, number=1, status=Generation.Status.READY).pk)
    per_gen_files, per_file_symbols = FILES // REPOSITORIES, SYMBOLS // FILES
    with connection.cursor() as cursor:
        for gen in generations:
            cursor.execute(
                "INSERT INTO knowledge_layerfile (generation_id, path, size, sha256, language, lines, is_binary, is_vendored,"
                " is_generated, is_truncated) SELECT %s, 'src/file_' || i || '.py', 100, md5(i::text) || md5(i::text),"
                " 'Python', 10, false, false, false, false FROM generate_series(1, %s) AS i",
                [gen, per_gen_files],
            )
            cursor.execute(
                "INSERT INTO knowledge_contentchunk (generation_id, file_id, start_line, text, searchable)"
                " SELECT %s, f.id, 1, 'def f_' || f.id || '(): pass', true FROM knowledge_layerfile f WHERE f.generation_id = %s",
                [gen, gen],
            )
            cursor.execute(
                "INSERT INTO knowledge_symbol (generation_id, file_id, kind, name, container, line, end_line)"
                " SELECT %s, f.id, 'function', 'f_' || f.id || '_' || s, '', s, s FROM knowledge_layerfile f,"
                " generate_series(1, %s) AS s WHERE f.generation_id = %s",
                [gen, per_file_symbols, gen],
            )
    return SYMBOLS + 2 * FILES + 3 * REPOSITORIES


def _purge(workspace_id: int, queue) -> None:
    """Run the disconnect as its jobs would, one bounded step after another (DELETION_STEP_CHUNKS
    of DELETION_CHUNK_SIZE rows, or DELETION_STEP_SECONDS), timing each step."""
    from django.db import connections
    from django.utils import timezone

    connections.close_all()
    from integrations.models import Workspace
    from integrations.services.deletion import Step, workspace_purge

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, steps, rows = time.perf_counter(), [], 0
    done = False
    while not done:
        step = Step(lambda: Workspace.objects.filter(pk=workspace_id).update(updated_at=timezone.now()))
        step_started = time.perf_counter()
        done = workspace_purge(workspace_id=workspace_id, step=step)
        steps.append(time.perf_counter() - step_started)
        rows += step.rows
    seconds = time.perf_counter() - started
    queue.put((rows, seconds, steps, rss_before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def run() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connections

    from integrations.models import Connection, Workspace

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        emit("disconnect_1m_rows", skipped="needs PostgreSQL: run with DATABASE_URL=postgres://…")
        return
    user = get_user_model().objects.create_user(username="bench-big", email="bench-big@example.com")
    connection = Connection.objects.create(user=user, auth_method=Connection.AuthMethod.API_TOKEN)
    big = Workspace.objects.create(connection=connection, uuid="{big}", slug="big", name="Big", status=Workspace.Status.DISCONNECTING)
    load_started = time.perf_counter()
    rows = _fill(big)
    load_seconds = time.perf_counter() - load_started
    connections.close_all()
    # Steps of 100,000 rows (unless DELETION_STEP_CHUNKS says otherwise), so the bench shows how a
    # large disconnect is cut into jobs that each stay far inside Q_TIMEOUT.
    if "DELETION_STEP_CHUNKS" not in os.environ:
        settings.DELETION_STEP_CHUNKS = max(1, 100_000 // settings.DELETION_CHUNK_SIZE)
    # The purge runs in its own process, as in a worker, so its peak memory is its own.
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_purge, args=(big.pk, queue))
    child.start()
    deleted, seconds, steps, rss_before_kib, peak_kib = queue.get(timeout=3600)
    child.join()
    emit("disconnect_1m_rows", rows=rows, deleted=deleted, seconds=round(seconds, 2), rows_per_s=round(deleted / seconds),
         steps=len(steps), step_rows=settings.DELETION_STEP_CHUNKS * settings.DELETION_CHUNK_SIZE,
         step_seconds_max=round(max(steps), 2), step_seconds_mean=round(sum(steps) / len(steps), 2),
         step_seconds_bound=settings.DELETION_STEP_SECONDS, q_timeout=settings.Q_CLUSTER["timeout"],
         worker_peak_rss_mib=round(peak_kib / 1024, 1),
         worker_rss_growth_mib=round((peak_kib - rss_before_kib) / 1024, 1), chunk_size=settings.DELETION_CHUNK_SIZE, load_seconds=round(load_seconds, 1))
