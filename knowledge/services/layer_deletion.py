"""Deleting one knowledge layer for good: hidden at once, then its rows deleted by a job in chunks.

The repository stays (it is Bitbucket's); the layer's hook on the repository, if it has one of
its own, is removed through the clean-ups the apps above register with integrations. A
deletion whose worker died is picked up again by the stalled-layer sweep.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from integrations.services.deletion import delete_in_chunks, repositories_cleanup
from knowledge import jobs
from knowledge.models import ContentChunk, Dependency, Doc, Generation, KnowledgeLayer, LayerFile, SkippedFile, Symbol

log = logging.getLogger("knowledge.layers")

# Children first: the rows of a generation, then the generations, then the layer.
GENERATION_ROWS = (Symbol, ContentChunk, Dependency, SkippedFile, Doc, LayerFile)


def layer_delete(*, layer_id: int) -> bool:
    """Mark the layer Deleting (it leaves every list, search and the API at once) and queue the
    job that deletes it. False when it is already being deleted."""
    updated = KnowledgeLayer.objects.filter(pk=layer_id).exclude(status=KnowledgeLayer.Status.DELETING).update(
        # No serving generation from now on: search joins on it, so nothing of the layer is found.
        status=KnowledgeLayer.Status.DELETING, active_generation=None, rebuild_requested=False, updated_at=timezone.now(),
    )
    if updated:
        jobs.layer_purge_later(layer_id=layer_id)
    return bool(updated)


def layer_purge(*, layer_id: int) -> int:
    """Delete a Deleting layer and every row it holds; returns how many rows went.

    A build still running for it loses its generation under it, notices when it ends and removes
    whatever it wrote late (see `layer_build`).
    """
    repository_id = (
        KnowledgeLayer.objects.filter(pk=layer_id, status=KnowledgeLayer.Status.DELETING)
        .values_list("repository_id", flat=True).first()
    )
    if repository_id is None:
        return 0
    repositories_cleanup(repository_ids=[repository_id])
    generation_ids = list(Generation.objects.filter(layer_id=layer_id).values_list("pk", flat=True))
    total = 0
    for model in GENERATION_ROWS:
        total += delete_in_chunks(model._base_manager.filter(generation_id__in=generation_ids))
    total += delete_in_chunks(Generation.objects.filter(layer_id=layer_id))
    total += delete_in_chunks(KnowledgeLayer.objects.filter(pk=layer_id, status=KnowledgeLayer.Status.DELETING))
    log.info("knowledge.layer.deleted", extra={"layer": layer_id, "rows": total})
    return total


def layers_resume_deleting(*, stalled_after_s: int) -> int:
    """Queue again the deletions that have not finished for longer than a job may run (their
    worker died): they carry on where the last chunk ended."""
    now = timezone.now()
    stalled = KnowledgeLayer.objects.filter(status=KnowledgeLayer.Status.DELETING, updated_at__lt=now - timedelta(seconds=stalled_after_s))
    layer_ids = list(stalled.values_list("pk", flat=True))
    # Touched, so the next sweep gives this attempt its time before queueing it again.
    KnowledgeLayer.objects.filter(pk__in=layer_ids).update(updated_at=now)
    for layer_id in layer_ids:
        jobs.layer_purge_later(layer_id=layer_id)
    return len(layer_ids)
