"""How the knowledge app queues its jobs: one helper per job, by task function (core.jobs)."""
from __future__ import annotations

from core.jobs import enqueue
from knowledge import tasks


def layer_purge_later(*, layer_id: int) -> None:
    enqueue(tasks.delete_layer, layer_id, name=f"delete-layer-{layer_id}")
