"""Knowledge pages: layers, the repositories to build them from, and files (search: search_views.py)."""
from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config import inputs
from integrations.models import Connection, Workspace
from integrations.selectors import connection_for, repositories_for, workspaces_for
from knowledge.highlight import highlighted_lines
from knowledge.models import KnowledgeLayer
from knowledge.selectors import file_text, layer_file, layer_for, layers_for, serving_generation
from knowledge.services.layers import layer_requeue, layers_create

BUSY = (KnowledgeLayer.Status.QUEUED, KnowledgeLayer.Status.SYNCING)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to the page the form came from, if it is one of ours."""
    target = request.POST.get("next", "")
    # Only a path on this site: anything else ("abc" would be taken for a view name) goes to the default.
    ours = target.startswith("/") and "\x00" not in target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return HttpResponseRedirect(target) if ours else redirect(default)


RECONNECT_FIRST = "Bitbucket no longer accepts this connection: Reconnect on Integrations first; nothing was deleted."


def _needs_reconnect(user) -> bool:
    connection = connection_for(user=user)
    return connection is not None and connection.status == Connection.Status.RECONNECT


@login_required
def layers(request: HttpRequest) -> HttpResponse:
    rows = list(layers_for(user=request.user))
    context = {"layers": rows, "busy": any(layer.status in BUSY for layer in rows), "connection": connection_for(user=request.user)}
    template = "knowledge/_layers.html" if request.htmx else "knowledge/layers.html"
    return render(request, template, context)


@login_required
def repositories(request: HttpRequest) -> HttpResponse:
    query = inputs.text(request.GET.get("q"))
    workspace_slug = inputs.text(request.GET.get("workspace"))
    repos = repositories_for(user=request.user, query=query, workspace_slug=workspace_slug).select_related("layer")
    page = Paginator(repos, 50).get_page(request.GET.get("page"))
    busy = any(getattr(repo, "layer", None) and repo.layer.status in BUSY for repo in page)
    context = {
        "page": page, "query": query, "workspace_slug": workspace_slug, "busy": busy,
        "workspaces": workspaces_for(user=request.user).filter(status=Workspace.Status.ACTIVE),
        "connection": connection_for(user=request.user),
    }
    template = "knowledge/_repository_rows.html" if request.htmx else "knowledge/repositories.html"
    return render(request, template, context)


@login_required
@require_POST
def create_layers(request: HttpRequest) -> HttpResponse:
    ids = inputs.ids(request.POST.getlist("repository"))
    if not ids:
        messages.error(request, "Select at least one repository.")
    elif _needs_reconnect(request.user):
        messages.error(request, RECONNECT_FIRST)
    else:
        queued = layers_create(user=request.user, repository_ids=ids)
        messages.success(request, f"Queued {queued} knowledge layer{'s' if queued != 1 else ''}.")
    return _back(request, "knowledge:repositories")


@login_required
@require_POST
def retry_layer(request: HttpRequest, pk: int) -> HttpResponse:
    layer = layer_for(user=request.user, layer_id=pk)
    if _needs_reconnect(request.user):
        messages.error(request, RECONNECT_FIRST)
    elif layer_requeue(layer_id=layer.pk):
        messages.success(request, f"Rebuilding the knowledge layer of {layer.repository.full_name}.")
    return _back(request, "knowledge:layers")


def _kind_label(kind: str, count: int) -> str:
    """ "1 class", "2 classes", "3 functions"."""
    if count == 1:
        return kind
    return kind + ("es" if kind.endswith(("s", "x", "ch", "sh")) else "s")


def _tree(paths: list[str]) -> list[tuple[int, str, str]]:
    """(depth, name, full path or "" for a folder) rows of a file tree, folders before files."""
    rows, seen = [], set()
    for path in sorted(paths, key=lambda p: (p.split("/")[:-1], p)):
        parts = path.split("/")
        for depth in range(len(parts) - 1):
            folder = "/".join(parts[: depth + 1])
            if folder not in seen:
                seen.add(folder)
                rows.append((depth, parts[depth] + "/", ""))
        rows.append((len(parts) - 1, parts[-1], path))
    return rows


@login_required
def layer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    layer = layer_for(user=request.user, layer_id=pk)
    generation = serving_generation(layer)
    context = {"layer": layer, "generation": generation, "busy": layer.status in BUSY}
    if generation is not None:
        symbol_query = inputs.text(request.GET.get("symbols"))
        symbols = generation.symbols.select_related("file").order_by("file__path", "line")
        if symbol_query:
            symbols = symbols.filter(name__icontains=symbol_query)
        paths = list(generation.files.values_list("path", flat=True))
        context.update(
            readme=generation.docs.filter(kind="readme").order_by("path").first(),
            docs=generation.docs.filter(kind="doc").order_by("path")[:50],
            doc_count=generation.docs.filter(kind="doc").count(),
            languages=generation.stats.get("languages", []),
            tree=_tree(paths) if len(paths) <= 5000 else None,
            file_count=len(paths),
            symbols=symbols[:300],
            symbol_count=generation.symbols.count(),
            symbol_kinds=[(_kind_label(kind, count), count)
                          for kind, count in Counter(generation.symbols.values_list("kind", flat=True)).most_common()],
            symbol_query=symbol_query,
            dependencies=generation.dependencies.order_by("ecosystem", "manifest", "name"),
            skipped=generation.skipped.order_by("path")[:200],
        )
    if request.htmx and request.GET.get("status"):
        return render(request, "knowledge/_layer_status.html", context)
    return render(request, "knowledge/layer.html", context)


@login_required
def file_view(request: HttpRequest, pk: int, path: str) -> HttpResponse:
    layer = layer_for(user=request.user, layer_id=pk)
    generation = serving_generation(layer)
    file = layer_file(generation, path)
    text = "" if file.is_binary else file_text(file)
    lines = None if file.is_binary else highlighted_lines(file.path, text, file.language)
    return render(request, "knowledge/file.html", {"layer": layer, "file": file, "lines": lines, "kept_bytes": len(text.encode())})

