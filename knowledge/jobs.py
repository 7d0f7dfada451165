"""How the knowledge app's jobs are queued: one helper per job, each after the commit.

As in `integrations.jobs`, each helper names its task function and the task is imported when
the helper runs: `knowledge.tasks` imports the layer services, which queue through these helpers.
"""
from __future__ import annotations

from core.jobs import enqueue


def layer_build_later(*, layer_id: int, from_archive: bool = False) -> None:
    """Build a Queued layer's next generation; with `from_archive`, from the whole archive even when
    the head is the commit already served."""
    from knowledge.tasks import build_layer

    enqueue(build_layer, layer_id, from_archive, name=f"build-layer-{layer_id}")


def layer_purge_later(*, layer_id: int) -> None:
    """Delete a layer marked Deleting, its generations and its repository hook."""
    from knowledge.tasks import delete_layer

    enqueue(delete_layer, layer_id, name=f"delete-layer-{layer_id}")


def search_index_compact_later() -> None:
    """Merge the search indexes' pending entries once a build has added its rows."""
    from knowledge.tasks import compact_search_index

    enqueue(compact_search_index, name="compact-search-index")
