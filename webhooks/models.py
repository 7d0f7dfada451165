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
    """One webhook delivery, keyed by X-Request-UUID so a retried delivery is processed once."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    request_uuid = models.CharField(max_length=64, unique=True)
    hook = models.ForeignKey(Hook, on_delete=models.CASCADE, related_name="deliveries")
    event_key = models.CharField(max_length=64)
    attempt = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-received_at"]
