"""Django admin for connections (secrets never shown), workspaces and repositories."""
from __future__ import annotations

from django.contrib import admin, messages
from django_q.tasks import async_task

from integrations.models import Connection, Repository, Workspace
from integrations.services.connection import connection_disconnect
from integrations.services.workspaces import workspace_disconnect


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "nickname", "auth_method", "status", "sync_state", "expires_at", "updated_at")
    list_filter = ("auth_method", "status", "sync_state")
    search_fields = ("user__email", "display_name", "nickname", "account_uuid", "api_email")
    # The encrypted token fields are not editable and so never rendered; keep it that way.
    readonly_fields = ("user", "auth_method", "account_uuid", "account_id", "nickname", "display_name", "scopes",
                       "api_email", "expires_at", "last_error", "sync_state", "sync_error", "synced_at", "created_at", "updated_at")
    exclude = ("access_token", "refresh_token", "token_version")
    actions = ("refresh", "disconnect")

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Refresh workspaces from Bitbucket")
    def refresh(self, request, queryset):
        for pk in queryset.filter(status=Connection.Status.CONNECTED).values_list("pk", flat=True):
            async_task("integrations.tasks.sync_workspaces", pk, task_name=f"sync-workspaces-{pk}")
        self.message_user(request, "Refresh enqueued.", messages.SUCCESS)

    @admin.action(description="Disconnect (permanently delete all data)")
    def disconnect(self, request, queryset):
        for connection in queryset:
            connection_disconnect(connection=connection)
        self.message_user(request, "Disconnection enqueued.", messages.SUCCESS)


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "connection", "status", "accessible", "is_admin", "repositories_synced_at")
    list_filter = ("status", "accessible", "is_admin")
    search_fields = ("name", "slug", "uuid", "connection__user__email")
    readonly_fields = ("connection", "uuid", "created_at", "updated_at")
    actions = ("refresh", "disconnect")

    @admin.action(description="Refresh repositories from Bitbucket")
    def refresh(self, request, queryset):
        for pk in queryset.filter(status=Workspace.Status.ACTIVE).values_list("pk", flat=True):
            async_task("integrations.tasks.sync_repositories", pk, task_name=f"sync-repositories-{pk}")
        self.message_user(request, "Refresh enqueued.", messages.SUCCESS)

    @admin.action(description="Disconnect (permanently delete its data)")
    def disconnect(self, request, queryset):
        for workspace in queryset.filter(status=Workspace.Status.ACTIVE):
            workspace_disconnect(workspace=workspace)
        self.message_user(request, "Disconnection enqueued.", messages.SUCCESS)


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ("full_name", "workspace", "language", "mainbranch", "is_private", "updated_on")
    list_filter = ("is_private", "language", "workspace__status")
    search_fields = ("full_name", "name", "slug", "uuid")
    readonly_fields = ("workspace", "uuid", "created_at", "updated_at")
