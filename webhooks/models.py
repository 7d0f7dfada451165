"""Our hooks registered on Bitbucket, and every delivery Bitbucket made to them."""
from __future__ import annotations

import uuid

from django.db import models

from integrations.crypto import EncryptedTextField
from integrations.models import Repository, Workspace


class Hook(models.Model):
    """A hook we registered; `id` is in its URL, Bitbucket's own uuid in X-Hook-UUID."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="hooks")
    # Set for a repository hook; None for a workspace hook, which covers every repository.
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="hooks", null=True, blank=True)
    bitbucket_uuid = models.CharField(max_length=64, blank=True, db_index=True)
    secret = EncryptedTextField(editable=False)
    events = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Hook {self.bitbucket_uuid or self.id} on {self.workspace}"


class Delivery(models.Model):
    """One webhook delivery, keyed by X-Request-UUID so a retried delivery is processed once.

    Received → Processing (a worker claimed it) → Processed or Ignored. A handler that fails goes
    back to Received with `next_try_at` set after a back-off, and to Failed after the last try; a
    Processing one whose worker died, or a Received one whose queue entry was lost, is queued again
    by the sweep (`webhooks.processing`).
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    request_uuid = models.CharField(max_length=64, unique=True)
    hook = models.ForeignKey(Hook, on_delete=models.CASCADE, related_name="deliveries")
    event_key = models.CharField(max_length=64)
    attempt = models.PositiveSmallIntegerField(default=1, help_text="Bitbucket's X-Attempt-Number.")
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    tries = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker has run its handler.")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker last took it.")
    next_try_at = models.DateTimeField(
        null=True, blank=True, help_text="While received: when the sweep queues it (again) unless a worker took it first.")
    outcome = models.CharField(max_length=200, blank=True, help_text="What handling it did.")
    error = models.TextField(blank=True, help_text="Why the last try failed.")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "next_try_at"], name="delivery_due"),
            models.Index(fields=["received_at"], name="delivery_received"),
        ]

    def __str__(self) -> str:
        return f"{self.event_key} {self.request_uuid}"


class HookRemoval(models.Model):
    """One of our hooks still to take off Bitbucket after its own rows (and perhaps its workspace,
    repository and connection) were deleted: what the removal needs, and how it is going.

    The path parts are copied, not referenced, so the row outlives everything it came from. While
    the connection exists its own tokens are used (they are refreshed there); when the connection
    is deleted its last tokens are copied here (encrypted like the connection's), and they are
    blanked as soon as the removal ends (the row itself goes on success).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        NEEDS_RECONNECT = "needs_reconnect", "Needs the user to reconnect, or removal by hand"
        GAVE_UP = "gave_up", "Gave up"

    hook_id = models.UUIDField(help_text="Our hook's id, in its URL on Bitbucket.")
    workspace_uuid = models.CharField(max_length=64)
    repository_uuid = models.CharField(max_length=64, blank=True, help_text="Empty for a workspace hook.")
    bitbucket_uuid = models.CharField(max_length=64, blank=True)
    label = models.CharField(max_length=512, help_text="Where the hook is, for people.")
    owner = models.CharField(max_length=254, blank=True)
    connection = models.ForeignKey("integrations.Connection", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    auth_method = models.CharField(max_length=16, blank=True)
    api_email = models.EmailField(blank=True)
    access_token = EncryptedTextField(blank=True, editable=False)
    refresh_token = EncryptedTextField(blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=1)
    next_try_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "pending hook removal"
        ordering = ["next_try_at"]
        indexes = [models.Index(fields=["status", "next_try_at"], name="hookremoval_due")]

    def __str__(self) -> str:
        return f"Hook {self.bitbucket_uuid or self.hook_id} on {self.label}"
