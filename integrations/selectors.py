"""Reads of the integrations app, always scoped to one user (`visible_to`, defined on the querysets)."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from core import inputs
from integrations.models import Connection, Repository, Workspace


def connection_for(*, user) -> Connection | None:
    return Connection.objects.filter(user=user).first()


def workspaces_for(*, user) -> QuerySet[Workspace]:
    return (
        Workspace.objects.visible_to(user)
        .annotate(repository_count=Count("repositories"))
        .order_by("name", "slug")
    )


def repositories_for(*, user, query: str = "", workspace_slug: str = "") -> QuerySet[Repository]:
    """Repositories of the user's Active workspaces, optionally filtered."""
    repos = Repository.objects.visible_to(user).select_related("workspace")
    query, workspace_slug = inputs.text(query), inputs.text(workspace_slug)
    if workspace_slug:
        repos = repos.filter(workspace__slug=workspace_slug)
    if query:
        repos = repos.filter(Q(name__icontains=query) | Q(full_name__icontains=query) | Q(language__icontains=query))
    return repos.order_by("workspace__name", "name")
