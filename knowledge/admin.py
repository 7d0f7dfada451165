"""Django admin for knowledge layers: each layer's state at a glance, and Rebuild through the service.

Layers are built from Bitbucket, never typed in: nothing here is added or edited by hand, and a
layer's generations are summarised read-only (its files, chunks and symbols are far too many to
show). Rebuild goes through `layer_requeue` and reads the whole archive, as the page's Retry does,
and never for a connection Bitbucket refuses: that would only fail, so the admin is told who must
reconnect.
"""
from __future__ import annotations

from collections import defaultdict

from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.utils import formats, timezone
from django.utils.text import Truncator

from integrations.models import Connection, Repository, Workspace
from knowledge.models import Generation, KnowledgeLayer
from knowledge.services.layers import layer_requeue


class GenerationSummary(admin.TabularInline):
    model = Generation
    verbose_name_plural = "generations (the layer serves its active one)"
    fields = ("number", "status", "commit", "files", "bytes_read", "created_at", "finished_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="Files")
    def files(self, generation: Generation):
        return generation.stats.get("files", "—")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class WorkspaceFilter(admin.RelatedOnlyFieldListFilter):
    """By workspace, each named with its owner: two users who linked the same workspace have a copy each."""

    def field_choices(self, field, request, model_admin):
        used = model_admin.get_queryset(request).values_list("repository__workspace", flat=True).distinct()
        workspaces = Workspace.objects.filter(pk__in=used).select_related("connection__user").order_by("name", "connection__user__email")
        return [(workspace.pk, f"{workspace.name} ({workspace.connection.user.email})") for workspace in workspaces]


@admin.register(KnowledgeLayer)
class KnowledgeLayerAdmin(admin.ModelAdmin):
    list_display = ("repository_name", "workspace", "owner", "status", "files", "last_built", "failure")
    list_filter = ("status", ("repository__workspace", WorkspaceFilter))
    list_select_related = ("repository__workspace__connection__user",)
    search_fields = ("repository__full_name", "repository__workspace__connection__user__email")
    fields = ("repository_name", "workspace", "owner", "status", "failure_reason", "files", "last_built",
              "active_generation", "rebuild_requested", "files_done", "files_total", "created_at", "updated_at")
    readonly_fields = fields
    inlines = (GenerationSummary,)
    actions = ("rebuild",)

    def get_queryset(self, request):
        built = Generation.objects.filter(layer=OuterRef("pk"), number=OuterRef("active_generation")).values("finished_at")[:1]
        return super().get_queryset(request).annotate(last_built=Subquery(built))

    @admin.display(description="Repository", ordering="repository__full_name")
    def repository_name(self, layer: KnowledgeLayer) -> str:
        return layer.repository.full_name

    @admin.display(description="Workspace", ordering="repository__workspace__name")
    def workspace(self, layer: KnowledgeLayer) -> str:
        return layer.repository.workspace.name

    @admin.display(description="Owner", ordering="repository__workspace__connection__user__email")
    def owner(self, layer: KnowledgeLayer) -> str:
        return layer.repository.workspace.connection.user.email

    @admin.display(description="Files")
    def files(self, layer: KnowledgeLayer):
        return layer.summary.get("files", "—") if layer.active_generation else "—"

    @admin.display(description="Last built", ordering="last_built")
    def last_built(self, layer: KnowledgeLayer) -> str:
        return formats.localize(timezone.template_localtime(layer.last_built)) if layer.last_built else "—"

    @admin.display(description="Failure reason")
    def failure(self, layer: KnowledgeLayer) -> str:
        return Truncator(layer.failure_reason).chars(90)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # Django's cascade would list every chunk; layers go with their repository

    def has_rebuild_permission(self, request) -> bool:
        return request.user.has_perm("knowledge.change_knowledgelayer")

    @admin.action(description="Rebuild selected knowledge layers", permissions=["rebuild"])
    def rebuild(self, request, queryset):
        layers = queryset.select_related("repository__workspace__connection__user")
        queued, busy, gone = 0, 0, 0
        refused: dict[str, list[str]] = defaultdict(list)
        for layer in layers:
            repository = layer.repository
            connection = repository.workspace.connection
            if connection.status == Connection.Status.RECONNECT:
                refused[connection.user.email].append(repository.full_name)
            elif (connection.status != Connection.Status.CONNECTED or repository.workspace.status != Workspace.Status.ACTIVE
                  or repository.status != Repository.Status.LISTED):
                gone += 1
            elif layer_requeue(layer_id=layer.pk, from_archive=True):
                queued += 1
            else:
                busy += 1
        if queued:
            self.message_user(request, f"Rebuilding {queued} knowledge layer{'s' if queued != 1 else ''}.", messages.SUCCESS)
        if busy:
            self.message_user(request, f"{busy} already queued or building: a running build builds again once it ends.",
                              messages.INFO)
        for email, names in refused.items():
            self.message_user(request, f"Not rebuilt: Bitbucket no longer accepts the connection of {email}; they must "
                              f"Reconnect on Integrations first ({', '.join(names)}).", messages.WARNING)
        if gone:
            self.message_user(request, f"{gone} not rebuilt: the workspace is not linked, or the layer is being deleted.", messages.WARNING)
