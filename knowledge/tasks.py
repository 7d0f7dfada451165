"""django-q2 jobs of the knowledge app: thin doors that take primary keys."""
from __future__ import annotations

from django.conf import settings

from knowledge.services import layer_deletion
from knowledge.services.layers import layer_build, layers_resume_stalled
from knowledge.services.writer import search_index_compact


def build_layer(layer_id: int, from_archive: bool = False) -> None:
    layer_build(layer_id=layer_id, from_archive=from_archive)


def delete_layer(layer_id: int) -> int:
    return layer_deletion.layer_purge(layer_id=layer_id)


def resume_stalled_layers() -> int:
    """Scheduled every minute: a build whose heartbeat stopped has lost its worker; a queued build
    waiting longer than a job may run has lost its queue entry, and so has a deletion that long unfinished."""
    lost_after_s = settings.Q_CLUSTER["timeout"] + 60
    resumed = layers_resume_stalled(stalled_after_s=settings.LAYER_STALL_SECONDS, lost_after_s=lost_after_s)
    return resumed + layer_deletion.layers_resume_deleting(stalled_after_s=lost_after_s)


def compact_search_index() -> None:
    search_index_compact()
