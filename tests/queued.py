"""Which jobs a piece of code queued, read from django-q2's own records (tests run jobs in-process)."""
from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction
from django_q.models import Task


@contextmanager
def queued_after_commit(func: str):
    """Run the block in a transaction: nothing may run `func` before it commits. Yields a list that
    then holds the names of the jobs that ran `func`, each of which must have succeeded."""
    before = set(Task.objects.filter(func=func).values_list("id", flat=True))
    names: list[str] = []
    with transaction.atomic():
        yield names
        assert not Task.objects.filter(func=func).exclude(id__in=before).exists(), f"{func} ran before the commit"
    jobs = Task.objects.filter(func=func).exclude(id__in=before)
    assert all(jobs.values_list("success", flat=True)), f"{func} failed"
    names.extend(jobs.values_list("name", flat=True))
