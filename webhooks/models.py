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
