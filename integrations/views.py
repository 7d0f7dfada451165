"""Integrations pages: connect Bitbucket, link workspaces, disconnect. Thin: writes are services."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import inputs
from integrations.forms import ApiTokenForm
from integrations.models import Connection, Workspace
from integrations.selectors import connection_for, workspaces_for
from integrations.services.connection import ConnectionRefused, connection_connect_api_token, connection_disconnect
from integrations.services.workspaces import workspace_disconnect, workspaces_link, workspaces_refresh


def _index_page(request: HttpRequest, token_form: ApiTokenForm, status: int = 200) -> HttpResponse:
    return render(request, "integrations/index.html", {
        "connection": connection_for(user=request.user),
        "token_form": token_form,
        "oauth_configured": bool(settings.BITBUCKET_OAUTH_KEY and settings.BITBUCKET_OAUTH_SECRET),
        "workspace_count": workspaces_for(user=request.user).filter(status=Workspace.Status.ACTIVE).count(),
    }, status=status)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return _index_page(request, ApiTokenForm())


@login_required
@require_POST
def connect_api_token(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            connection = connection_connect_api_token(user=request.user, **form.cleaned_data)
        except ConnectionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Connected to Bitbucket as {connection.display_name or connection.nickname}.")
            return redirect("integrations:index")
    # Nothing was saved: the form comes back with the e-mail as typed (never the token) and why.
    return _index_page(request, form, status=400)


@login_required
def disconnect(request: HttpRequest) -> HttpResponse:
    connection = connection_for(user=request.user)
    if connection is None:
        return redirect("integrations:index")
    if request.method == "POST":
        connection_disconnect(connection=connection)
        messages.success(request, "Disconnecting Bitbucket: all repository data and knowledge layers are being permanently deleted.")
        return redirect("integrations:index")
    return render(request, "integrations/confirm_disconnect.html", {"connection": connection})


def _refresh_summary(connection: Connection, workspaces: list[Workspace]) -> dict:
    """What the last Refresh found, for "3 workspaces, 1 new, 120 repositories"."""
    since = connection.synced_at
    return {
        "workspaces": sum(ws.accessible for ws in workspaces),
        "new": sum(ws.accessible and ws.created_at >= since for ws in workspaces),
        "lost": sum(not ws.accessible and ws.updated_at >= since for ws in workspaces),
        "repositories": sum(ws.repository_count for ws in workspaces if ws.status == Workspace.Status.ACTIVE),
        "failed": [ws.name for ws in workspaces if ws.status == Workspace.Status.ACTIVE and ws.repositories_error],
    }


def _workspaces_context(request: HttpRequest) -> dict:
    connection = connection_for(user=request.user)
    workspaces = list(workspaces_for(user=request.user)) if connection else []
    # A listing asked for longer ago than a job may run has lost its worker: stop waiting for it.
    stale = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"])
    for ws in workspaces:
        ws.loading = ws.status == Workspace.Status.ACTIVE and bool(ws.repositories_loading_since) and ws.repositories_loading_since > stale
    loading = [ws for ws in workspaces if ws.loading]
    refreshing = bool(connection) and connection.sync_state == Connection.SyncState.RUNNING and connection.updated_at > stale
    busy = bool(connection) and (
        refreshing
        or bool(loading)
        or any(ws.status == Workspace.Status.DISCONNECTING for ws in workspaces)
    )
    summary = _refresh_summary(connection, workspaces) if connection and connection.synced_at else None
    return {"connection": connection, "workspaces": workspaces, "busy": busy, "refreshing": refreshing, "loading": loading,
            "summary": summary}


@login_required
def workspaces(request: HttpRequest) -> HttpResponse:
    return render(request, "integrations/workspaces.html", _workspaces_context(request))


@login_required
def workspaces_partial(request: HttpRequest) -> HttpResponse:
    return render(request, "integrations/_workspaces.html", _workspaces_context(request))


@login_required
@require_POST
def workspaces_refresh_view(request: HttpRequest) -> HttpResponse:
    connection = connection_for(user=request.user)
    if connection is None:
        raise Http404
    workspaces_refresh(connection=connection)
    if request.htmx:
        return render(request, "integrations/_workspaces.html", _workspaces_context(request))
    return redirect("integrations:workspaces")


@login_required
@require_POST
def workspaces_link_view(request: HttpRequest) -> HttpResponse:
    connection = connection_for(user=request.user)
    if connection is None:
        raise Http404
    ids = inputs.ids(request.POST.getlist("workspace"))
    if connection.status == Connection.Status.RECONNECT:
        # The service links nothing for a refused connection; say why instead of "Linked 0".
        messages.error(request, "Nothing was linked: Bitbucket must be reconnected first.")
    elif not ids:
        messages.error(request, "Select at least one workspace to link.")
    elif linked := workspaces_link(connection=connection, workspace_ids=ids):
        messages.success(request, f"Linked {linked} workspace{'s' if linked != 1 else ''}; their repositories are loading.")
    else:
        messages.warning(request, "Nothing was linked: the workspaces chosen cannot be linked now (no access, or being disconnected).")
    return redirect("integrations:workspaces")


@login_required
def workspace_disconnect_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Scoped to the signed-in user: another user's workspace id is a 404, never a 403 or a leak.
    workspace = get_object_or_404(Workspace.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        if workspace_disconnect(workspace=workspace):
            messages.success(request, f"Disconnecting {workspace.name}: its repository data and knowledge layers are being permanently deleted.")
        return redirect("integrations:workspaces")
    return render(request, "integrations/confirm_workspace_disconnect.html", {
        "workspace": workspace, "repository_count": workspace.repositories.count(),
    })
