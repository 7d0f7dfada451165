"""Django admin for connections (secrets never shown), workspaces and repositories.

All three mirror Bitbucket, so nothing is added or edited by hand; deleting runs the same
disconnect services as the pages (see admin_deletion). Each list shows the Strata user who owns
the row, fetched in the list's one query.
"""
from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet

from integrations.admin_deletion import EFFECT, DeletesThroughServices, Deletion, in_the_background, pks
from integrations.jobs import repositories_sync_later, workspaces_sync_later
from integrations.models import Connection, Repository, Workspace
from integrations.services.connection import connection_disconnect
from integrations.services.deletion import deletion_counts
from integrations.services.repositories import repositories_delete
from integrations.services.workspaces import workspace_disconnect

EFFECT_ONE = "Its repository data and knowledge layer will be permanently deleted; its hook is removed from Bitbucket."
EFFECT_MANY = "Their repository data and knowledge layers will be permanently deleted; their hooks are removed from Bitbucket."
STARTED = "all repository data and knowledge layers are being permanently deleted, and our hooks removed from Bitbucket."


def _refused(connections: QuerySet[Connection]) -> list[str]:
    """A note for each connection Bitbucket refuses: our hooks there cannot be removed."""
    return [
        f"Bitbucket refuses the connection of {email} (Reconnect): our hooks there cannot be removed and will "
        "point at nothing; the data here is deleted all the same."
        for email in connections.filter(status=Connection.Status.RECONNECT).values_list("user__email", flat=True)
    ]


class MirrorAdmin(DeletesThroughServices, admin.ModelAdmin):
    """Rows that mirror Bitbucket: viewed, refreshed and deleted, never added or edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Connection)
class ConnectionAdmin(MirrorAdmin):
    list_display = ("__str__", "nickname", "owner", "auth_method", "status", "sync_state", "expires_at", "updated_at")
    list_filter = ("auth_method", "status", "sync_state")
    list_select_related = ("user",)
    search_fields = ("user__email", "display_name", "nickname", "account_uuid", "api_email")
    # The encrypted token fields are not editable and so never rendered; keep it that way.
    readonly_fields = ("owner", "auth_method", "status", "account_uuid", "account_id", "nickname", "display_name", "scopes",
                       "api_email", "expires_at", "last_error", "sync_state", "sync_error", "synced_at", "created_at", "updated_at")
    exclude = ("user", "access_token", "refresh_token", "token_version")
    actions = ("refresh",)

    @admin.display(description="Owner", ordering="user__email")
    def owner(self, connection: Connection) -> str:
        return connection.user.email

    @admin.action(description="Refresh workspaces from Bitbucket")
    def refresh(self, request, queryset):
        for pk in queryset.filter(status=Connection.Status.CONNECTED).values_list("pk", flat=True):
            workspaces_sync_later(connection_id=pk)
        self.message_user(request, "Refresh enqueued.", messages.SUCCESS)

    def deletion(self, objs, *, label):
        connections = Connection.objects.filter(pk__in=pks(objs))
        workspaces = Workspace.objects.filter(connection__in=connections).values_list("pk", flat=True)
        owner = f" of {connections.get().user.email}" if label is not None else ""
        return Deletion(
            question=f"Disconnect and delete {self.named(objs, label)}{owner}?",
            effect=EFFECT,
            counts={"workspaces": workspaces.count(), **deletion_counts(workspace_ids=workspaces)},
            notes=[
                "The stored tokens are destroyed and the Bitbucket authorisation forgotten: connecting again goes "
                "through Bitbucket's consent page. The Strata user is kept.",
                *_refused(connections), in_the_background("Disconnecting"),
            ],
        )

    def deletion_start(self, objs, *, label):
        named = self.named(objs, label)  # before the job (in sync mode, at once) takes the rows
        for connection in Connection.objects.filter(pk__in=pks(objs)):
            connection_disconnect(connection=connection)
        return f"Disconnecting {named}: {STARTED}"


@admin.register(Workspace)
class WorkspaceAdmin(MirrorAdmin):
    list_display = ("name", "slug", "owner", "status", "accessible", "is_admin", "repositories_synced_at")
    list_filter = ("status", "accessible", "is_admin")
    list_select_related = ("connection__user",)
    search_fields = ("name", "slug", "uuid", "connection__user__email")
    readonly_fields = ("owner",)
    actions = ("refresh",)

    @admin.display(description="Owner", ordering="connection__user__email")
    def owner(self, workspace: Workspace) -> str:
        return workspace.connection.user.email

    @admin.action(description="Refresh repositories from Bitbucket")
    def refresh(self, request, queryset):
        for pk in queryset.filter(status=Workspace.Status.ACTIVE).values_list("pk", flat=True):
            repositories_sync_later(workspace_id=pk)
        self.message_user(request, "Refresh enqueued.", messages.SUCCESS)

    def deletion(self, objs, *, label):
        ids = pks(objs)
        return Deletion(
            question=f"Disconnect {self.named(objs, label)} and delete {'its' if label is not None else 'their'} data?",
            effect=EFFECT,
            counts=deletion_counts(workspace_ids=ids),
            notes=[
                "A workspace stays listed, as Inactive, while Bitbucket lists it; it can be linked again on Link Workspace.",
                *_refused(Connection.objects.filter(workspaces__in=ids).distinct()), in_the_background("Disconnecting"),
            ],
        )

    def deletion_start(self, objs, *, label):
        named = self.named(objs, label)
        for workspace in Workspace.objects.filter(pk__in=pks(objs)):
            workspace_disconnect(workspace=workspace)
        return f"Disconnecting {named}: {STARTED}"


class WorkspaceStatusFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "workspace status"


@admin.register(Repository)
class RepositoryAdmin(MirrorAdmin):
    # The full name starts with the workspace; the owner tells apart two users' copies of it.
    list_display = ("full_name", "owner", "status", "language", "is_private", "updated_on")
    list_filter = ("status", ("workspace__status", WorkspaceStatusFilter), "is_private", "language")
    list_select_related = ("workspace__connection__user",)
    search_fields = ("full_name", "name", "slug", "uuid", "workspace__connection__user__email")
    readonly_fields = ("owner",)

    @admin.display(description="Owner", ordering="workspace__connection__user__email")
    def owner(self, repository: Repository) -> str:
        return repository.workspace.connection.user.email

    def deletion(self, objs, *, label):
        ids = pks(objs)
        return Deletion(
            question=f"Delete {self.named(objs, label)}?",
            effect=EFFECT_ONE if label is not None else EFFECT_MANY,
            counts=deletion_counts(workspace_ids=[], repository_ids=ids),
            notes=[
                "A repository still on Bitbucket comes back, without a knowledge layer, at its workspace's next refresh. "
                "A workspace hook stays: it serves the workspace's other repositories.",
                *_refused(Connection.objects.filter(workspaces__repositories__in=ids).distinct()),
                in_the_background("Deleting"),
            ],
        )

    def deletion_start(self, objs, *, label):
        named = self.named(objs, label)
        repositories_delete(repository_ids=pks(objs))
        what = "its data and knowledge layer are" if label is not None else "their data and knowledge layers are"
        return f"Deleting {named}: {what} being permanently deleted, and our hooks removed from Bitbucket."


# Allauth's tokens are not stored (SOCIALACCOUNT_STORE_TOKENS = False: ours live, encrypted, on the
# connection) and the OAuth consumer comes from settings: a token or an app added here by hand would
# only be shown in clear or clash with the configured one.
for model in (SocialToken, SocialApp):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

# A Bitbucket account, an authenticator or an e-mail address comes from its own flow (sign-in with
# Bitbucket, the user's MFA set-up, sign-up): typed in here it would be unverified or half made.
for model in (SocialAccount, Authenticator, EmailAddress):
    if admin.site.is_registered(model):
        base = type(admin.site.get_model_admin(model))
        admin.site.unregister(model)
        admin.site.register(model, type(f"NotAdded{base.__name__}", (base,), {
            "has_add_permission": lambda self, request, obj=None: False,
        }))

User = get_user_model()
BaseUserAdmin = type(admin.site.get_model_admin(User)) if admin.site.is_registered(User) else UserAdmin


class StrataUserAdmin(BaseUserAdmin):
    """A user whose Bitbucket connection remains is not deleted by Django's cascade: that would
    list and load every row of their data and leave our hooks on Bitbucket."""

    def get_deleted_objects(self, objs, request):
        connected = Connection.objects.filter(user__in=pks(objs)).values_list("user__email", flat=True)
        protected = [f"The Bitbucket connection of {email}: delete it first under Bitbucket connections "
                     "(its data is deleted by a job), then delete the user." for email in connected]
        if protected:
            return [], {}, set(), protected
        return super().get_deleted_objects(objs, request)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, StrataUserAdmin)
