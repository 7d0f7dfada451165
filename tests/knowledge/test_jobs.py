"""Each knowledge job is queued by its helper: the right task, under its name, once the service's
transaction commits (django-q2 runs it in-process here, so the build really ran as well)."""
from __future__ import annotations

import pytest
from django_q.models import Task

from integrations.models import Repository
from knowledge.models import KnowledgeLayer
from knowledge.services.layer_deletion import layer_delete
from knowledge.services.layers import layer_requeue, layers_create
from tests.queued import queued_after_commit

pytestmark = pytest.mark.django_db(transaction=True)


def test_creating_a_layer_queues_its_build(acme, user):
    repo = Repository.objects.get(workspace=acme, slug="api")
    with queued_after_commit("knowledge.tasks.build_layer") as jobs:
        assert layers_create(user=user, repository_ids=[repo.pk]) == 1
    layer = KnowledgeLayer.objects.get(repository=repo)
    assert jobs == [f"build-layer-{layer.pk}"] and layer.status == KnowledgeLayer.Status.ACTIVE


def test_a_rebuild_queues_the_layers_build_and_a_finished_build_compacts_the_index(acme, user):
    repo = Repository.objects.get(workspace=acme, slug="api")
    layers_create(user=user, repository_ids=[repo.pk])
    layer = KnowledgeLayer.objects.get(repository=repo)
    compactions = Task.objects.filter(func="knowledge.tasks.compact_search_index", name="compact-search-index").count()
    with queued_after_commit("knowledge.tasks.build_layer") as builds:
        assert layer_requeue(layer_id=layer.pk, from_archive=True)  # as Retry: the served head, read again
    assert builds == [f"build-layer-{layer.pk}"]
    assert Task.objects.filter(func="knowledge.tasks.build_layer").latest("started").args == (layer.pk, True)
    assert Task.objects.filter(func="knowledge.tasks.compact_search_index", name="compact-search-index").count() == compactions + 1
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.active_generation == 2


def test_a_push_of_the_served_head_queues_a_build_that_builds_nothing(acme, user):
    repo = Repository.objects.get(workspace=acme, slug="api")
    layers_create(user=user, repository_ids=[repo.pk])
    layer = KnowledgeLayer.objects.get(repository=repo)
    with queued_after_commit("knowledge.tasks.build_layer") as builds:
        assert layer_requeue(layer_id=layer.pk)
    assert builds == [f"build-layer-{layer.pk}"]
    assert Task.objects.filter(func="knowledge.tasks.build_layer").latest("started").args == (layer.pk, False)
    layer.refresh_from_db()
    assert layer.status == KnowledgeLayer.Status.ACTIVE and layer.active_generation == 1


def test_deleting_a_layer_queues_its_purge(acme, user):
    repo = Repository.objects.get(workspace=acme, slug="api")
    layers_create(user=user, repository_ids=[repo.pk])
    layer = KnowledgeLayer.objects.get(repository=repo)
    with queued_after_commit("knowledge.tasks.delete_layer") as jobs:
        assert layer_delete(layer_id=layer.pk)
    assert jobs == [f"delete-layer-{layer.pk}"]
    assert not KnowledgeLayer.objects.filter(pk=layer.pk).exists() and Repository.objects.filter(pk=repo.pk).exists()
