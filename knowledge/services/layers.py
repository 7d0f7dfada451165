"""Creating knowledge layers and building a generation from the main branch's head commit."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from integrations.bitbucket import endpoints
from integrations.bitbucket.errors import BitbucketAuthError, BitbucketError
from integrations.models import Connection, Repository
from integrations.services.credentials import client_for
from knowledge.ingest.archive import ArchiveLimits, ArchiveRejected, ArchiveStats, ArchiveTooLarge, ArchiveTruncated
from knowledge.ingest.parse_helper import HelperFailed
from knowledge.ingest.pipeline import Ingest, IngestOptions
from knowledge.ingest.symbols import extractor_version
from knowledge.jobs import layer_build_later, search_index_compact_later
from knowledge.models import ContentChunk, Generation, KnowledgeLayer, LayerFile, Symbol
from knowledge.selectors import serving_generation
from knowledge.services.incremental import (
    IncrementalAbandoned,
    IncrementalPlan,
    basis,
    built_full,
    generation_merge,
    incremental_ingest,
    incremental_plan,
)
from knowledge.services.writer import (
    BATCH,
    BATCH_CHARS,
    CHUNK_COLUMNS,
    FILE_COLUMNS,
    SYMBOL_COLUMNS,
    GenerationWriter,
    RowStream,
    generation_purge,
    generation_rows_purge,
)
from knowledge.signals import layer_created

log = logging.getLogger("knowledge.layers")


class LayerBuildFailed(Exception):
    """The build cannot go on; the message is shown to the user as the layer's reason."""


class RepositoryEmpty(Exception):
    """The repository has no commit yet: not a failure, the layer waits for the first push."""

# A layer in these states is not built again by Retry or a push: it is on its way, or going away.
NOT_REQUEUED = (KnowledgeLayer.Status.QUEUED, KnowledgeLayer.Status.SYNCING, KnowledgeLayer.Status.DELETING)


def layers_create(*, user, repository_ids: Iterable[int]) -> int:
    """Queue a layer for each chosen repository of the user's Active workspaces."""
    repos = Repository.objects.visible_to(user).filter(
        pk__in=list(repository_ids), workspace__connection__status=Connection.Status.CONNECTED,
    )
    queued = 0
    for repo in repos:
        layer, created = KnowledgeLayer.objects.get_or_create(repository=repo)
        if created or layer_requeue(layer_id=layer.pk, from_archive=True):
            queued += 1
            if created:
                layer_build_later(layer_id=layer.pk)
                transaction.on_commit(lambda pk=repo.pk: layer_created.send(sender=KnowledgeLayer, repository_id=pk))
    return queued


def layer_requeue(*, layer_id: int, from_archive: bool = False) -> bool:
    """Queue a rebuild (Retry, or a push); while one runs, ask for another once it ends.

    A push's build applies what changed since the served commit (nothing when the head is the
    served commit); with `from_archive` (a person asked: Retry) it reads the whole archive.
    """
    updated = KnowledgeLayer.objects.filter(pk=layer_id).exclude(status__in=NOT_REQUEUED).update(
        status=KnowledgeLayer.Status.QUEUED, failure_reason="", files_done=0, rebuild_requested=False, updated_at=timezone.now()
    )
    if updated:
        layer_build_later(layer_id=layer_id, from_archive=from_archive)
    else:
        KnowledgeLayer.objects.filter(pk=layer_id, status=KnowledgeLayer.Status.SYNCING).update(rebuild_requested=True)
    return bool(updated)


def layers_build_waiting(*, connection_id: int) -> int:
    """After Reconnect: build the layers that pushes asked for while Bitbucket refused us."""
    waiting = KnowledgeLayer.objects.filter(
        repository__workspace__connection_id=connection_id, rebuild_requested=True,
    ).exclude(status__in=NOT_REQUEUED).values_list("pk", flat=True)
    return sum(layer_requeue(layer_id=layer_id) for layer_id in list(waiting))


def _rebuild_if_requested(layer_id: int) -> None:
    if KnowledgeLayer.objects.filter(pk=layer_id, rebuild_requested=True).exists():
        layer_requeue(layer_id=layer_id)


def layers_resume_stalled(*, stalled_after_s: int, lost_after_s: int) -> int:
    """Fail builds whose heartbeat stopped (the worker died), running again those a push asked
    for meanwhile, and re-enqueue Queued builds whose queue entry was lost."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=stalled_after_s)
    stalled = list(KnowledgeLayer.objects.filter(status=KnowledgeLayer.Status.SYNCING, updated_at__lt=cutoff).values_list("pk", flat=True))
    for layer_id in stalled:
        failed = KnowledgeLayer.objects.filter(pk=layer_id, status=KnowledgeLayer.Status.SYNCING, updated_at__lt=cutoff).update(
            status=KnowledgeLayer.Status.FAILED, updated_at=timezone.now(),
            failure_reason="The build stopped without finishing (the worker restarted or timed out); press Retry.",
        )
        if not failed:
            continue  # it beat again meanwhile
        for generation_id in Generation.objects.filter(layer_id=layer_id, status=Generation.Status.BUILDING).values_list("pk", flat=True):
            generation_purge(generation_id=generation_id)
        _rebuild_if_requested(layer_id)
    lost_cutoff = now - timedelta(seconds=lost_after_s)
    lost = list(KnowledgeLayer.objects.filter(status=KnowledgeLayer.Status.QUEUED, updated_at__lt=lost_cutoff).values_list("pk", flat=True))
    for layer_id in lost:
        KnowledgeLayer.objects.filter(pk=layer_id).update(updated_at=timezone.now())
        layer_build_later(layer_id=layer_id)
    return len(stalled) + len(lost)


class _Heartbeat(threading.Thread):
    """Marks a running build alive every LAYER_HEARTBEAT_SECONDS, whatever it is doing (a long
    download, a slow parse), on a connection of its own. When the worker dies, the beats stop."""

    def __init__(self, layer_id: int):
        super().__init__(name=f"heartbeat-layer-{layer_id}", daemon=True)
        self.layer_id = layer_id
        self._stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopping.wait(settings.LAYER_HEARTBEAT_SECONDS):
                KnowledgeLayer.objects.filter(pk=self.layer_id, status=KnowledgeLayer.Status.SYNCING).update(updated_at=timezone.now())
        except Exception:
            log.exception("knowledge.layer.heartbeat-failed", extra={"layer": self.layer_id})
        finally:
            db_connection.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join()


def _limits() -> ArchiveLimits:
    return ArchiveLimits(
        max_file_bytes=settings.INGEST_MAX_FILE_BYTES,
        max_archive_bytes=settings.INGEST_MAX_ARCHIVE_BYTES,
        max_compressed_bytes=settings.INGEST_MAX_COMPRESSED_BYTES,
        max_files=settings.INGEST_MAX_FILES,
    )


def _head_commit(client, repo: Repository) -> tuple[str, str]:
    """(full name, commit hash) of the main branch's head, read fresh from Bitbucket.

    The full name comes from this answer, not from our rows: a rename since the last refresh
    would otherwise send the archive request to a name that no longer exists.
    """
    data = endpoints.repository(client, repo.workspace.uuid, repo.uuid)
    branch = (data.get("mainbranch") or {}).get("name")
    if not branch:
        raise RepositoryEmpty()
    return data.get("full_name") or repo.full_name, endpoints.branch_head(client, repo.workspace.uuid, repo.uuid, branch)


def layer_build(*, layer_id: int, from_archive: bool = False) -> None:
    """Build a new generation; switch to it atomically, or keep the previous one on failure.

    Only what changed since the served commit when that can be applied (incremental refresh),
    else the whole archive; nothing when the head is the served commit. With `from_archive`, the
    whole archive whatever changed: the way out of anything incremental refresh got wrong.
    """
    if not KnowledgeLayer.objects.filter(pk=layer_id, repository__workspace__connection__status=Connection.Status.CONNECTED).exists():
        KnowledgeLayer.objects.filter(pk=layer_id, status=KnowledgeLayer.Status.QUEUED).update(
            status=KnowledgeLayer.Status.FAILED, updated_at=timezone.now(),
            failure_reason="Bitbucket no longer accepts this connection: reconnect it on Integrations, then Retry.",
        )
        return
    claimed = KnowledgeLayer.objects.filter(pk=layer_id, status=KnowledgeLayer.Status.QUEUED).update(
        status=KnowledgeLayer.Status.SYNCING, files_done=0, updated_at=timezone.now()
    )
    if not claimed:
        return
    layer = KnowledgeLayer.objects.select_related("repository__workspace__connection").get(pk=layer_id)
    repo = layer.repository
    number = (layer.generations.aggregate(top=Max("number"))["top"] or 0) + 1
    generation = Generation.objects.create(layer=layer, number=number)
    heartbeat = _Heartbeat(layer_id)
    heartbeat.start()
    try:
        client = client_for(repo.workspace.connection)
        full_name, commit = _head_commit(client, repo)
        if not from_archive and _up_to_date(layer, generation, commit):
            return
        Generation.objects.filter(pk=generation.pk).update(commit=commit)
        stats, plan = _build(client, layer, generation, full_name, commit, from_archive=from_archive)
        _activate(layer, generation, stats, plan=plan)
    except RepositoryEmpty:
        _wait_for_first_push(layer, generation)
    except (LayerBuildFailed, BitbucketError, ArchiveRejected, HelperFailed) as exc:
        _fail(layer, generation, _reason(exc))
    except Exception:
        if not _fail(layer, generation, "The build stopped on an unexpected error; press Retry. The previous version is still served."):
            # Its generation was taken away while it ran (the sweep gave up on it, or the layer is
            # being deleted), so its late writes failed: expected, and cleaned up by _fail.
            log.warning("knowledge.layer.build-superseded", extra={"layer": layer_id})
            return
        log.exception("knowledge.layer.build-crashed", extra={"layer": layer_id})
        raise
    finally:
        heartbeat.stop()
        _rebuild_if_requested(layer_id)


def _up_to_date(layer: KnowledgeLayer, generation: Generation, commit: str) -> bool:
    """True, with the layer Active again, when it already serves `commit` (a push announced the
    head a build had already read): the new generation, still empty, goes."""
    serving = serving_generation(layer)
    if serving is None or serving.commit != commit:
        return False
    generation_purge(generation_id=generation.pk)
    KnowledgeLayer.objects.filter(pk=layer.pk, status=KnowledgeLayer.Status.SYNCING).update(
        status=KnowledgeLayer.Status.ACTIVE, failure_reason="", files_done=serving.stats.get("files", 0),
        files_total=serving.stats.get("files", 0), updated_at=timezone.now(),
    )
    log.info("knowledge.layer.up-to-date", extra={"layer": layer.pk})
    return True


def _reason(exc: Exception) -> str:
    if isinstance(exc, BitbucketAuthError):
        return "Bitbucket no longer accepts this connection: reconnect it on Integrations, then Retry."
    if isinstance(exc, ArchiveTruncated):
        return f"The archive from Bitbucket was cut short ({exc.reason}); press Retry."
    if isinstance(exc, ArchiveRejected):
        return f"The archive was refused: {exc.reason}"
    if isinstance(exc, HelperFailed):
        return f"Symbols could not be extracted ({exc}); press Retry. The previous version is still served."
    return getattr(exc, "message", None) or str(exc)


def _file_link(layer_id: int):
    def link(target: str) -> str:  # a relative link in a doc opens our file view
        path, _, fragment = target.partition("#")
        return reverse("knowledge:file", args=[layer_id, path]) + (f"#{fragment}" if fragment else "")

    return link


def _build(client, layer: KnowledgeLayer, generation: Generation, full_name: str, commit: str, *,
           from_archive: bool) -> tuple[dict, IncrementalPlan | None]:
    """The new generation's rows and stats: only what the push changed when that can be applied
    on top of the serving generation (knowledge.services.incremental), else the whole archive."""
    limits = _limits()
    if from_archive:
        plan: IncrementalPlan | str = "a full build was asked for"
    else:
        plan = incremental_plan(client=client, layer=layer, commit=commit, limits=limits)
    if isinstance(plan, IncrementalPlan):
        try:
            return incremental_ingest(client=client, layer=layer, generation=generation, plan=plan, commit=commit,
                                      limits=limits, resolve_link=_file_link(layer.pk)), plan
        except IncrementalAbandoned as exc:
            generation_rows_purge(generation_id=generation.pk)
            plan = str(exc)
    stats = _ingest(client, layer, generation, full_name, commit)
    stats["built"] = built_full(plan)
    return stats, None


def _ingest(client, layer: KnowledgeLayer, generation: Generation, full_name: str, commit: str) -> dict:
    workspace_slug, repo_slug = full_name.split("/", 1)
    response = endpoints.archive(client, workspace_slug, repo_slug, commit)
    expected = int(response.headers.get("Content-Length") or 0)
    previous = layer.summary.get("files") or 0  # a rebuild's best guess until the stream says more
    estimate = done = batch_chars = 0
    batch: list = []
    flushed_at = time.monotonic()

    def progress(stats: ArchiveStats) -> None:
        nonlocal estimate
        # The total is unknown until the stream ends: estimate it from the compressed bytes read
        # when the download's size is known (Bitbucket usually streams archives without it).
        if expected and stats.compressed_bytes:
            estimate = max(stats.files, round(stats.files * expected / stats.compressed_bytes))

    def total() -> int:
        """The estimated file count, or 0 for "unknown" (the page then counts without a bar's end)."""
        if estimate:
            return max(estimate, done)
        return previous if previous > done else 0

    def flush() -> None:
        nonlocal done, batch, batch_chars, flushed_at
        if batch:
            done += writer.write(batch)
            batch, batch_chars = [], 0
            # The page's progress (committed at once: the build runs outside any transaction),
            # and the heartbeat the stalled-build sweep looks at.
            KnowledgeLayer.objects.filter(pk=layer.pk).update(files_done=done, files_total=total(), updated_at=timezone.now())
        flushed_at = time.monotonic()

    def due() -> bool:
        """A full batch, or one not written for LAYER_PROGRESS_SECONDS: a repository of fewer
        files than a batch would otherwise show no progress until it is Active. A partial batch
        a second costs one more UPDATE a second, nothing measurable next to the parsing."""
        return (len(batch) >= BATCH or batch_chars >= BATCH_CHARS
                or time.monotonic() - flushed_at >= settings.LAYER_PROGRESS_SECONDS)

    kept = _symbols_to_keep(layer)
    limits = _limits()
    options = IngestOptions(
        limits=limits, parse_processes=settings.INGEST_PARSE_PROCESSES, resolve_link=_file_link(layer.pk),
        symbols_known=lambda sha256, language: (sha256, language or "") in kept,
    )
    ingest = Ingest(response.raw, options, on_progress=progress)
    partial_reason = None
    with (
        RowStream(LayerFile, FILE_COLUMNS) as files,
        # Two lanes: the trigrams of the content are the database's biggest job.
        RowStream(ContentChunk, CHUNK_COLUMNS, lanes=2) as chunks,
        RowStream(Symbol, SYMBOL_COLUMNS) as symbols,
    ):
        writer = GenerationWriter(generation, files=files, chunks=chunks, symbols=symbols, kept_symbols=kept)
        try:
            with response:
                for result in ingest:
                    batch.append(result)
                    batch_chars += len(result.text or "")
                    if due():
                        flush()
        except ArchiveTooLarge as exc:
            # A cap was reached (size, file count): keep what was read and say what was left out.
            # Anything else the reader refuses (not a tar.gz, corrupt, cut short) fails the build.
            partial_reason = exc.reason
        flush()
    if partial_reason and not ingest.summary.files:
        raise ArchiveTooLarge(f"{partial_reason}, before any file could be read")
    stats = writer.finish(ingest.summary)
    if partial_reason:
        stats["notes"].append(f"Stopped early: {partial_reason}. The layer holds the files read before that point.")
    stats["commit"] = commit
    stats["basis"] = basis(ingest.summary, limits)
    Generation.objects.filter(pk=generation.pk).update(bytes_read=ingest.summary.stats.compressed_bytes)
    return stats


def _symbols_to_keep(layer: KnowledgeLayer) -> dict[tuple[str, str], int]:
    """(sha256, language) -> file id in the serving generation, for files whose symbols a rebuild
    can copy instead of parsing again: same content, same language, same extractor."""
    serving = serving_generation(layer)
    if serving is None or serving.stats.get("symbols_version") != extractor_version():
        return {}
    files = LayerFile.objects.filter(
        generation=serving, is_binary=False, is_vendored=False, is_generated=False, is_truncated=False,
    ).exclude(language="")
    return {(sha256, language): pk for pk, sha256, language in files.values_list("pk", "sha256", "language").iterator(chunk_size=5000)}


def _activate(layer: KnowledgeLayer, generation: Generation, stats: dict, *, plan: IncrementalPlan | None = None) -> None:
    """Serve the new version in one transaction: the new generation, or (incremental) the serving
    generation with the new generation's rows merged in, under the new number."""
    serving = plan.base if plan else generation
    with transaction.atomic():
        ours = Generation.objects.filter(pk=generation.pk, status=Generation.Status.BUILDING).update(
            status=Generation.Status.READY, stats=stats, finished_at=timezone.now())
        if ours and plan:
            stats = generation_merge(generation=generation, plan=plan, stats=stats)
            ours = stats is not None
        if ours:
            ours = KnowledgeLayer.objects.filter(pk=layer.pk, status=KnowledgeLayer.Status.SYNCING).update(
                status=KnowledgeLayer.Status.ACTIVE, active_generation=generation.number, failure_reason="",
                summary={key: value for key, value in stats.items() if key != "basis"},
                files_done=stats["files"], files_total=stats["files"], updated_at=timezone.now(),
            )
        if not ours:
            transaction.set_rollback(True)
    if not ours:
        # The sweep took this build for dead (or the layer went) while it ran: whatever it wrote
        # after that is removed, and the layer stays as the sweep or a newer build left it.
        generation_purge(generation_id=generation.pk)
        log.warning("knowledge.layer.build-superseded", extra={"layer": layer.pk})
        return
    for old in Generation.objects.filter(layer=layer).exclude(pk=serving.pk).values_list("pk", flat=True):
        generation_purge(generation_id=old)
    search_index_compact_later()
    log.info("knowledge.layer.built", extra={"layer": layer.pk, "files": stats["files"], "built": stats["built"]["mode"]})


def _wait_for_first_push(layer: KnowledgeLayer, generation: Generation) -> None:
    """An empty repository: nothing to read yet. The push that gives it a main branch builds it."""
    generation_purge(generation_id=generation.pk)
    KnowledgeLayer.objects.filter(pk=layer.pk, status=KnowledgeLayer.Status.SYNCING).update(
        status=KnowledgeLayer.Status.EMPTY, failure_reason="", files_done=0, files_total=0, updated_at=timezone.now()
    )
    log.info("knowledge.layer.waiting-for-first-push", extra={"layer": layer.pk})


def _fail(layer: KnowledgeLayer, generation: Generation, reason: str) -> bool:
    """Remove what the build wrote and, if the layer is still this build's, show why it failed.
    False when the build had lost its layer already (the sweep or a deletion got there first)."""
    owned = Generation.objects.filter(pk=generation.pk, status=Generation.Status.BUILDING).exists()
    generation_purge(generation_id=generation.pk)
    if not owned:
        return False
    KnowledgeLayer.objects.filter(pk=layer.pk, status=KnowledgeLayer.Status.SYNCING).update(
        status=KnowledgeLayer.Status.FAILED, failure_reason=reason, updated_at=timezone.now()
    )
    log.warning("knowledge.layer.failed", extra={"layer": layer.pk, "reason": reason})
    return True
