"""Knowledge pages: layers, the repositories to build them from, and search."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from integrations.selectors import connection_for, repositories_for, workspaces_for
from integrations.models import Workspace


@login_required
def layers(request: HttpRequest) -> HttpResponse:
    return render(request, "knowledge/layers.html", {"connection": connection_for(user=request.user)})


@login_required
def repositories(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    workspace_slug = request.GET.get("workspace", "").strip()
    repos = repositories_for(user=request.user, query=query, workspace_slug=workspace_slug)
    page = Paginator(repos, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "workspace_slug": workspace_slug,
        "workspaces": workspaces_for(user=request.user).filter(status=Workspace.Status.ACTIVE),
        "connection": connection_for(user=request.user),
    }
    template = "knowledge/_repository_rows.html" if request.htmx else "knowledge/repositories.html"
    return render(request, template, context)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    return render(request, "knowledge/search.html", {"query": request.GET.get("q", "")})
