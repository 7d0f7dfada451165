"""Jobs are queued by their function, after the transaction that made their rows commits."""
from __future__ import annotations

import pytest
from django.db import transaction

from core import jobs
from integrations import tasks


def test_a_task_is_named_by_its_module_and_function():
    assert jobs.task_path(tasks.sync_workspaces) == "integrations.tasks.sync_workspaces"


def test_a_nested_or_anonymous_function_is_refused_before_anything_is_queued():
    def inner():
        pass

    with pytest.raises(ValueError):
        jobs.task_path(inner)
    with pytest.raises(ValueError):
        jobs.task_path(lambda: None)


@pytest.mark.django_db(transaction=True)
def test_enqueue_waits_for_the_commit_and_a_rollback_queues_nothing(monkeypatch):
    sent = []
    monkeypatch.setattr(jobs, "async_task", lambda path, *args, task_name: sent.append((path, args, task_name)))
    with transaction.atomic():
        jobs.enqueue(tasks.sync_workspaces, 7, name="sync-workspaces-7")
        assert sent == []
    assert sent == [("integrations.tasks.sync_workspaces", (7,), "sync-workspaces-7")]

    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue(tasks.sync_workspaces, 8, name="sync-workspaces-8")
        raise RuntimeError("rolled back")
    assert len(sent) == 1


@pytest.mark.django_db
def test_the_sweeps_are_scheduled_by_their_task_functions_and_a_new_period_replaces_the_old():
    from django_q.models import Schedule

    from knowledge import tasks as knowledge_tasks

    stored = dict(Schedule.objects.values_list("name", "func"))
    assert stored["resume-disconnections"] == "integrations.tasks.resume_disconnections"
    assert stored["resume-stalled-layers"] == "knowledge.tasks.resume_stalled_layers"
    jobs.schedule_every(knowledge_tasks.resume_stalled_layers, minutes=7, name="resume-stalled-layers")
    assert list(Schedule.objects.filter(name="resume-stalled-layers").values_list("minutes", flat=True)) == [7]
