"""How every job is queued: by its task function, under a readable name, once the data it needs
is committed.

Each app keeps one helper per job in its own `jobs.py` (`layer_build_later(layer_id=…)`), built
on `enqueue`; views, admin, handlers and services call those helpers, never `async_task` with a
dotted string, so a renamed or mistyped task fails as soon as its helper runs (in its test),
not in a worker an hour later. Schedules, too, are made from the task function (`schedule_every`).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django_q.tasks import async_task


def task_path(task: Callable[..., Any]) -> str:
    """The dotted path django-q2 stores for `task`; it must be a module-level function."""
    if task.__qualname__ != task.__name__ or task.__module__ == "__main__":
        raise ValueError(f"{task!r} is not a module-level function and cannot be queued.")
    return f"{task.__module__}.{task.__name__}"


def enqueue(task: Callable[..., Any], *args: Any, name: str, on_commit: bool = True) -> None:
    """Queue `task(*args)` as `name`; with `on_commit` (the default), only once the surrounding
    transaction commits, so the job never looks for rows that are not there yet (or never were)."""
    path = task_path(task)

    def send() -> None:
        async_task(path, *args, task_name=name)

    if on_commit:
        transaction.on_commit(send)
    else:
        send()


def schedule_every(task: Callable[..., Any], *, minutes: int, name: str) -> None:
    """Run `task` every `minutes` (60: django-q2's hourly schedule) on every cluster; called after
    each migrate, so a changed period or a renamed task replaces the stored schedule instead of
    adding a second one."""
    from django_q.models import Schedule

    every = {"schedule_type": Schedule.HOURLY, "minutes": None} if minutes == 60 else {
        "schedule_type": Schedule.MINUTES, "minutes": minutes}
    Schedule.objects.update_or_create(name=name, defaults={"func": task_path(task), **every})
