"""Knowledge pages: the layers and the repositories to build them from (search: `search_views`).

One layer's own pages (tabs, live status, deletion, files) are in `layer_views`.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, When
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core import inputs
from integrations.models import Connection, Workspace
from integrations.selectors import connection_for, repositories_for, workspaces_for
from knowledge.models import KnowledgeLayer
from knowledge.selectors import layer_for, layers_for
from knowledge.services.layers import layer_requeue, layers_create

BUSY = (KnowledgeLayer.Status.QUEUED, KnowledgeLayer.Status.SYNCING)
# A repository's row keeps polling while its layer is on its way or going away.
ROW_BUSY = (*BUSY, KnowledgeLayer.Status.DELETING)

# ?sort= on Repositories; "-key" reverses a column's first-click order.
LAYER_STATUS_RANK = Case(
    *(When(layer__status=status, then=rank) for rank, status in enumerate(
        ["failed", "syncing", "queued", "active", "empty", "deleting"])),
    default=9, output_field=IntegerField(),
)
# Names sort as people read them: "certifi" between "C Lib" and "Web Shop", whatever the case.
NAME, WORKSPACE, LANGUAGE = Lower("name"), Lower("workspace__name"), Lower("language")
SORTS = {
    "name": (NAME.asc(), WORKSPACE.asc()), "-name": (NAME.desc(), WORKSPACE.desc()),
    "workspace": (WORKSPACE.asc(), NAME.asc()), "-workspace": (WORKSPACE.desc(), NAME.desc()),
    "language": (LANGUAGE.asc(), NAME.asc()), "-language": (LANGUAGE.desc(), NAME.asc()),
    "updated": (F("updated_on").desc(nulls_last=True), NAME.asc()), "-updated": (F("updated_on").asc(nulls_first=True), NAME.asc()),
    "status": ("status_rank", NAME.asc()), "-status": ("-status_rank", NAME.asc()),
}


SORT_COLUMNS = (  # (key, heading, whether a first click sorts descending)
    ("name", "Repository", False), ("workspace", "Workspace", False), ("language", "Language", False),
    ("updated", "Updated", True), ("status", "Knowledge layer", False),
)


def _sort_columns(sort: str) -> list[dict]:
    """Each sortable heading: the sort a click asks for, and aria-sort for the current one."""
    columns = []
    for key, heading, first_descending in SORT_COLUMNS:
        current = sort.lstrip("-") == key
        flipped = sort.startswith("-")
        descending = first_descending != flipped
        columns.append({
            "key": key, "heading": heading, "next": f"-{key}" if current and not flipped else key,
            "aria_sort": ("descending" if descending else "ascending") if current else "",
        })
    return columns


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to the page the form came from, if it is one of ours."""
    target = request.POST.get("next", "")
    # Only a path on this site: anything else ("abc" would be taken for a view name) goes to the default.
    ours = target.startswith("/") and "\x00" not in target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return HttpResponseRedirect(target) if ours else redirect(default)


RECONNECT_FIRST = "Nothing was queued: Bitbucket must be reconnected first."


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
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "workspace"
    repos = repositories_for(user=request.user, query=query, workspace_slug=workspace_slug).select_related("layer")
    if sort.lstrip("-") == "status":
        repos = repos.annotate(status_rank=LAYER_STATUS_RANK)
    page = Paginator(repos.order_by(*SORTS[sort]), 50).get_page(request.GET.get("page"))
    busy = any(getattr(repo, "layer", None) and repo.layer.status in ROW_BUSY for repo in page)
    workspaces = list(workspaces_for(user=request.user).filter(status=Workspace.Status.ACTIVE))
    context = {
        "page": page, "query": query, "workspace_slug": workspace_slug, "busy": busy, "sort": sort, "columns": _sort_columns(sort),
        "workspaces": workspaces, "connection": connection_for(user=request.user),
        # A listing that failed part-way changed nothing: say so where the repositories are.
        "listing_errors": [ws for ws in workspaces if ws.repositories_error and workspace_slug in ("", ws.slug)],
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
        if queued:
            messages.success(request, f"Queued {queued} knowledge layer{'s' if queued != 1 else ''}.")
        else:
            messages.warning(request, "Nothing was queued: the layers chosen are already queued, building or being deleted.")
    return _back(request, "knowledge:repositories")


@login_required
@require_POST
def retry_layer(request: HttpRequest, pk: int) -> HttpResponse:
    layer = layer_for(user=request.user, layer_id=pk)
    if _needs_reconnect(request.user):
        messages.error(request, RECONNECT_FIRST)
    elif layer_requeue(layer_id=layer.pk, from_archive=True):
        messages.success(request, f"Rebuilding the knowledge layer of {layer.repository.full_name}.")
    elif layer.status == KnowledgeLayer.Status.QUEUED:
        messages.info(request, f"The knowledge layer of {layer.repository.full_name} is already queued: it reads the latest commit.")
    else:
        messages.info(request, f"The knowledge layer of {layer.repository.full_name} is being built: it builds again from "
                      "the latest commit when this build ends.")
    return _back(request, "knowledge:layers")


