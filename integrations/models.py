"""A user's Bitbucket connection, the workspaces it can see, and their repositories."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.crypto import EncryptedTextField


class Connection(models.Model):
    """One user's link to Bitbucket Cloud, by OAuth consumer or by Atlassian API token."""

    class AuthMethod(models.TextChoices):
        OAUTH = "oauth", "OAuth"
        API_TOKEN = "api_token", "API token"

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        RECONNECT = "reconnect", "Reconnect"
        DISCONNECTING = "disconnecting", "Disconnecting"

    class SyncState(models.TextChoices):
        IDLE = "idle", "Up to date"
        RUNNING = "running", "Refreshing"
        FAILED = "failed", "Refresh failed"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bitbucket_connection")
    auth_method = models.CharField(max_length=16, choices=AuthMethod.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONNECTED, db_index=True)
    account_uuid = models.CharField(max_length=64, blank=True)
    account_id = models.CharField(max_length=128, blank=True)
    nickname = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    scopes = models.TextField(blank=True, help_text="Granted scopes, space separated.")
    # Secrets: encrypted at rest, never shown. For an API token connection `access_token` holds the
    # API token and `api_email` the Atlassian account e-mail it belongs to.
    access_token = EncryptedTextField(blank=True, editable=False)
    refresh_token = EncryptedTextField(blank=True, editable=False)
    api_email = models.EmailField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every refresh; a refresher that read an older version knows someone else won.
    token_version = models.PositiveIntegerField(default=0, editable=False)
    last_error = models.TextField(blank=True)
    sync_state = models.CharField(max_length=16, choices=SyncState.choices, default=SyncState.IDLE)
    sync_error = models.TextField(blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Bitbucket connection"

    def __str__(self) -> str:
        return f"{self.display_name or self.nickname or self.account_uuid} ({self.get_auth_method_display()})"

    @property
    def scope_list(self) -> list[str]:
        return sorted(set(self.scopes.split()))

    def token_expires_within(self, seconds: int) -> bool:
        if self.auth_method != self.AuthMethod.OAUTH or self.expires_at is None:
            return False
        return (self.expires_at - timezone.now()).total_seconds() < seconds


# What a user still sees while Bitbucket waits to be reconnected: their workspaces, repositories
# and layers as last synchronised (nothing is deleted until they disconnect), read-only.
VISIBLE_CONNECTION = (Connection.Status.CONNECTED, Connection.Status.RECONNECT)


class WorkspaceQuerySet(models.QuerySet):
    """Who sees which workspace, defined once. Repositories, layers and generations reach their
    workspace through a relation and pass its path as `via` ("repository__workspace__")."""

    @staticmethod
    def visible_q(user, *, via: str = "") -> Q:
        """The workspaces `user` may see: those of their own Bitbucket connection, in any state."""
        return Q(**{f"{via}connection__user": user})

    @staticmethod
    def linked_q(*, via: str = "") -> Q:
        """Linked (Active) workspaces whose connection stands: Connected, or waiting to be reconnected."""
        return Q(**{f"{via}status": Workspace.Status.ACTIVE, f"{via}connection__status__in": VISIBLE_CONNECTION})

    def visible_to(self, user) -> WorkspaceQuerySet:
        return self.filter(self.visible_q(user))

    def linked(self) -> WorkspaceQuerySet:
        return self.filter(self.linked_q())


class Workspace(models.Model):
    """A Bitbucket workspace the connection can (or could) see; linked ones are Active."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        DISCONNECTING = "disconnecting", "Disconnecting"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="workspaces")
    uuid = models.CharField(max_length=64)
    slug = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    is_admin = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INACTIVE, db_index=True)
    # False once a complete listing no longer contains the workspace.
    accessible = models.BooleanField(default=True)
    inactive_reason = models.CharField(max_length=255, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)
    repositories_synced_at = models.DateTimeField(null=True, blank=True)
    repositories_error = models.TextField(blank=True)
    # Set while a repository listing is asked for or running, so the page knows to keep polling.
    repositories_loading_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "uuid"], name="workspace_unique_per_connection")]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class RepositoryQuerySet(models.QuerySet):
    @staticmethod
    def visible_q(user, *, via: str = "") -> Q:
        """The repositories `user` may read (and all that hangs off them: layers, files, search):
        those of their linked workspaces, unless being deleted. `via` is the path from another
        model ("repository__")."""
        workspace = f"{via}workspace__"
        return (WorkspaceQuerySet.visible_q(user, via=workspace) & WorkspaceQuerySet.linked_q(via=workspace)
                & Q(**{f"{via}status": Repository.Status.LISTED}))

    def visible_to(self, user) -> RepositoryQuerySet:
        return self.filter(self.visible_q(user))


class Repository(models.Model):
    """A repository of a linked workspace, kept in step with Bitbucket on every refresh."""

    class Status(models.TextChoices):
        LISTED = "listed", "Listed"
        # Deleted from admin: a job is removing its layer, hook and row; pages no longer show it.
        DELETING = "deleting", "Deleting"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="repositories")
    uuid = models.CharField(max_length=64)
    slug = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    full_name = models.CharField(max_length=512)
    description = models.TextField(blank=True)
    is_private = models.BooleanField(default=True)
    language = models.CharField(max_length=64, blank=True)
    mainbranch = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    updated_on = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LISTED, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RepositoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "repositories"
        constraints = [models.UniqueConstraint(fields=["workspace", "uuid"], name="repository_unique_per_workspace")]
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name
