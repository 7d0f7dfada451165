"""Permanent deletion of a workspace's or a connection's data: chunked, resumable, complete.

Apps above this one (knowledge, webhooks) register the tables that hang off a repository and the
clean-ups to run on Bitbucket (removing our hooks); this module never imports them. Rows are
deleted with set-based `DELETE … WHERE id IN (SELECT … LIMIT n)` statements, children first, so
no row is loaded into Python and a job killed half-way simply carries on when it runs again. Each
job is one bounded `Step` that beats after every chunk and queues the next step while rows remain.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations.jobs import connection_disconnect_later, repositories_delete_later, workspace_disconnect_later
from integrations.models import Connection, Repository, Workspace

log = logging.getLogger("bitbucket.deletion")

DELETE_BATCH = 500  # repositories per deletion job, so each job's list stays a short IN (…)


@dataclass(frozen=True)
class Dependent:
    model: type[models.Model]
    repository_path: str  # lookup from the model to its Repository, e.g. "layer__repository"


_dependents: list[Dependent] = []
Cleanup = Callable[..., None]  # cleanup(*, workspace_id=…, repository_ids=…)
_cleanups: list[Cleanup] = []
Counter = Callable[..., int]  # counter(*, workspace_ids=…, repositories=…) -> how many go
_counters: dict[str, Counter] = {}


def register_dependent(model: type[models.Model], *, repository_path: str) -> None:
    """Delete `model`'s rows with their repository. Register children before their parents."""
    if all(dep.model is not model for dep in _dependents):
        _dependents.append(Dependent(model, repository_path))


def register_cleanup(cleanup: Cleanup) -> None:
    """Run `cleanup` before a workspace's (or some repositories') rows are deleted."""
    if cleanup not in _cleanups:
        _cleanups.append(cleanup)


def register_count(label: str, counter: Counter) -> None:
    """Count `label` ("knowledge layers") on the pages that confirm a deletion.

    `counter(workspace_ids=…, repositories=…)` gets the workspaces whose own rows go (none when only
    repositories are deleted) and a queryset of the repositories that go; it answers in a query or
    two, never by loading rows, so a confirmation stays quick and small however much is deleted.
    """
    _counters[label] = counter


def deletion_counts(*, workspace_ids: list[int], repository_ids: list[int] | None = None) -> dict[str, int]:
    """What deleting these workspaces' data (or only these repositories) takes, by label."""
    if repository_ids is None:
        repositories = Repository.objects.filter(workspace_id__in=workspace_ids)
    else:
        repositories = Repository.objects.filter(pk__in=repository_ids)
    counts = {"repositories": repositories.count()}
    for label, counter in _counters.items():
        counts[label] = counter(workspace_ids=workspace_ids, repositories=repositories)
    return counts


def _delete_chunk(queryset: QuerySet, size: int) -> int:
    """Delete up to `size` rows of `queryset` in one statement; returns how many went."""
    batch = queryset.model._base_manager.filter(pk__in=queryset.values("pk")[:size])
    # _raw_delete issues one DELETE without collecting rows or cascading in Python: the registry
    # already deletes children first. It answers None for a query Django knows is empty without asking the database (`pk__in=[]`).
    return batch._raw_delete(batch.db) or 0


def delete_in_chunks(queryset: QuerySet, *, chunk_size: int | None = None) -> int:
    """Delete every row of `queryset` in set-based chunks; returns how many went."""
    size = chunk_size or settings.DELETION_CHUNK_SIZE
    total = 0
    while True:
        deleted = _delete_chunk(queryset, size)
        total += deleted
        if deleted < size:
            return total


class Step:
    """What one deletion job may still do (DELETION_STEP_CHUNKS chunks, DELETION_STEP_SECONDS),
    so no job nears Q_TIMEOUT however large the deletion; after every chunk it `beat`s (touches
    the row being deleted), so the sweep tells a running deletion from a dead one."""

    def __init__(self, beat: Callable[[], None]):
        self.beat = beat
        self.chunks_left = settings.DELETION_STEP_CHUNKS
        self.deadline = time.monotonic() + settings.DELETION_STEP_SECONDS
        self.rows = 0

    @property
    def spent(self) -> bool:
        return self.chunks_left <= 0 or time.monotonic() >= self.deadline

    def delete(self, querysets: list[QuerySet]) -> bool:
        """Delete the querysets' rows in order, chunk by chunk: True when all are gone, False when
        the step is spent first (the next step carries on where this one ended)."""
        size = settings.DELETION_CHUNK_SIZE
        for queryset in querysets:
            while True:
                if self.spent:
                    return False
                deleted = _delete_chunk(queryset, size)
                if not deleted:  # an emptied table costs one index look-up: not a chunk
                    break
                self.rows += deleted
                self.chunks_left -= 1
                self.beat()
                if deleted < size:
                    break
        return True


def _run_cleanups(**scope) -> None:
    for cleanup in _cleanups:
        try:
            cleanup(**scope)
        except Exception:  # a clean-up on Bitbucket must never keep our data from being deleted
            log.exception("bitbucket.deletion.cleanup-failed", extra={"cleanup": getattr(cleanup, "__name__", "?")})


def repositories_cleanup(*, repository_ids: list[int]) -> None:
    """Run the registered clean-ups for these repositories without deleting them: a knowledge
    layer that goes away takes the hook registered for it off Bitbucket, the repository stays."""
    _run_cleanups(workspace_id=None, repository_ids=repository_ids)


def _touch(model: type[models.Model], **where) -> Callable[[], None]:
    return lambda: model.objects.filter(**where).update(updated_at=timezone.now())


def repositories_purge(*, repository_ids: list[int], step: Step | None = None) -> bool:
    """Delete the given repositories and everything that hangs off them, children first: True when
    done, False when `step` was spent first (queue the next step)."""
    step = step or Step(_touch(Repository, pk__in=repository_ids))
    _run_cleanups(workspace_id=None, repository_ids=repository_ids)
    return step.delete([
        *(dep.model._base_manager.filter(**{f"{dep.repository_path}__in": repository_ids}) for dep in _dependents),
        Repository.objects.filter(pk__in=repository_ids),
    ])


def workspace_purge(*, workspace_id: int, step: Step | None = None) -> bool:
    """Delete every repository row and layer of the workspace, then show it as Inactive: True when
    done, False when `step` was spent first (queue the next step)."""
    step = step or Step(_touch(Workspace, pk=workspace_id))
    _run_cleanups(workspace_id=workspace_id, repository_ids=None)
    done = step.delete([
        *(dep.model._base_manager.filter(**{f"{dep.repository_path}__workspace_id": workspace_id}) for dep in _dependents),
        Repository.objects.filter(workspace_id=workspace_id),
    ])
    if done:
        Workspace.objects.filter(pk=workspace_id, status=Workspace.Status.DISCONNECTING).update(
            status=Workspace.Status.INACTIVE, linked_at=None, repositories_synced_at=None, repositories_error=""
        )
        log.info("bitbucket.workspace.purged", extra={"workspace": workspace_id})
    return done


def connection_purge(*, connection_id: int, step: Step | None = None) -> bool:
    """Delete all data of every workspace, then the connection itself (tokens included): True when
    done, False when `step` was spent first (queue the next step)."""
    from allauth.socialaccount.models import SocialAccount

    step = step or Step(_touch(Connection, pk=connection_id))
    for workspace_id in Workspace.objects.filter(connection_id=connection_id).values_list("pk", flat=True):
        Workspace.objects.filter(pk=workspace_id).update(status=Workspace.Status.DISCONNECTING)
        if not workspace_purge(workspace_id=workspace_id, step=step):
            return False
    with transaction.atomic():
        connection = Connection.objects.filter(pk=connection_id).first()
        if connection is not None:
            # Forget the OAuth authorisation too: connecting again must ask Bitbucket anew.
            SocialAccount.objects.filter(user_id=connection.user_id, provider="bitbucket").delete()
            Workspace.objects.filter(connection_id=connection_id).delete()
            connection.delete()
    log.info("bitbucket.connection.purged", extra={"connection": connection_id})
    return True


def repositories_delete_step(*, repository_ids: list[int]) -> int:
    """One bounded step of deleting these repositories; queues the next while rows remain."""
    step = Step(_touch(Repository, pk__in=repository_ids))
    if not repositories_purge(repository_ids=repository_ids, step=step):
        repositories_delete_later(repository_ids=repository_ids)
    return step.rows


def workspace_disconnect_step(*, workspace_id: int) -> int:
    """One bounded step of a workspace's disconnect; queues the next while rows remain."""
    step = Step(_touch(Workspace, pk=workspace_id))
    if not workspace_purge(workspace_id=workspace_id, step=step):
        workspace_disconnect_later(workspace_id=workspace_id)
    return step.rows


def connection_disconnect_step(*, connection_id: int) -> int:
    """One bounded step of deleting a connection and all its data; queues the next while rows remain."""
    step = Step(_touch(Connection, pk=connection_id))
    if not connection_purge(connection_id=connection_id, step=step):
        connection_disconnect_later(connection_id=connection_id)
    return step.rows


def deletions_resume(*, stalled_after_s: int) -> int:
    """Queue again the deletions whose worker died: they pick up where the last chunk ended."""
    cutoff = timezone.now() - timedelta(seconds=stalled_after_s)
    resumed = 0
    for pk in Connection.objects.filter(status=Connection.Status.DISCONNECTING, updated_at__lt=cutoff).values_list("pk", flat=True):
        connection_disconnect_later(connection_id=pk)
        resumed += 1
    stalled = Workspace.objects.filter(status=Workspace.Status.DISCONNECTING, updated_at__lt=cutoff).exclude(
        connection__status=Connection.Status.DISCONNECTING
    )
    for pk in stalled.values_list("pk", flat=True):
        workspace_disconnect_later(workspace_id=pk)
        resumed += 1
    deleting = Repository.objects.filter(status=Repository.Status.DELETING, updated_at__lt=cutoff).exclude(
        workspace__status=Workspace.Status.DISCONNECTING
    )
    ids = sorted(deleting.values_list("pk", flat=True))
    for start in range(0, len(ids), DELETE_BATCH):
        repositories_delete_later(repository_ids=ids[start:start + DELETE_BATCH])
        resumed += 1
    # Touch them so the next sweep waits for this attempt before trying again.
    Repository.objects.filter(pk__in=ids).update(updated_at=timezone.now())
    Workspace.objects.filter(status=Workspace.Status.DISCONNECTING, updated_at__lt=cutoff).update(updated_at=timezone.now())
    Connection.objects.filter(status=Connection.Status.DISCONNECTING, updated_at__lt=cutoff).update(updated_at=timezone.now())
    return resumed
