"""Knowledge layers: one per repository, built as numbered generations that switch atomically.

Readers only ever look at the layer's `active_generation`; a rebuild writes a new generation
beside it and flips the number in one UPDATE, so nobody sees a half-built layer and a failed
rebuild leaves the previous generation serving.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from integrations.models import Repository, RepositoryQuerySet


class KnowledgeLayerQuerySet(models.QuerySet):
    @staticmethod
    def visible_q(user, *, via: str = "") -> Q:
        """The layers of the repositories `user` may read (`Repository.objects.visible_to`), but
        for those being deleted (gone for the user at once). `via` is the path from a generation."""
        deleting = Q(**{f"{via}status": KnowledgeLayer.Status.DELETING})
        return RepositoryQuerySet.visible_q(user, via=f"{via}repository__") & ~deleting

    def visible_to(self, user) -> KnowledgeLayerQuerySet:
        return self.filter(self.visible_q(user))


class KnowledgeLayer(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SYNCING = "syncing", "Syncing"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed"
        # The repository has no commit yet: nothing failed, the first push builds the layer.
        EMPTY = "empty", "Waiting for the first push"
        # Delete layer was pressed: hidden from every list while a job deletes its rows.
        DELETING = "deleting", "Deleting"

    repository = models.OneToOneField(Repository, on_delete=models.CASCADE, related_name="layer")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    failure_reason = models.TextField(blank=True)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    # A generation number, not a foreign key: deletion removes generations before layers.
    active_generation = models.PositiveIntegerField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="Stats of the serving generation.")
    # Set when a rebuild is asked for while one runs (a push mid-build): it runs again after.
    rebuild_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KnowledgeLayerQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Layer of {self.repository.full_name}"

    @property
    def progress_percent(self) -> int | None:
        """How far a build is (0-100), or None while its total is unknown. The bar and its words
        both use this one number, so they always agree."""
        if not self.files_total:
            return None
        return min(100, self.files_done * 100 // self.files_total)


class GenerationQuerySet(models.QuerySet):
    def visible_to(self, user) -> GenerationQuerySet:
        """The generations of the layers `user` may see (`KnowledgeLayer.objects.visible_to`)."""
        return self.filter(KnowledgeLayerQuerySet.visible_q(user, via="layer__"))

    def serving(self) -> GenerationQuerySet:
        """The generation each layer serves right now (built, and the one its layer points at)."""
        return self.filter(status=Generation.Status.READY, number=F("layer__active_generation"))


class Generation(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    layer = models.ForeignKey(KnowledgeLayer, on_delete=models.CASCADE, related_name="generations")
    number = models.PositiveIntegerField()
    commit = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BUILDING)
    stats = models.JSONField(default=dict, blank=True)
    bytes_read = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["layer", "number"], name="generation_number_unique")]

    def __str__(self) -> str:
        return f"Generation {self.number}"


class LayerFile(models.Model):
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="files")
    path = models.TextField()
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    language = models.CharField(max_length=64, blank=True)
    lines = models.PositiveIntegerField(default=0)
    is_binary = models.BooleanField(default=False)
    is_vendored = models.BooleanField(default=False)
    is_generated = models.BooleanField(default=False)
    is_truncated = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["generation", "path"], name="layerfile_generation_path")]


class ContentChunk(models.Model):
    """Up to CHUNK_LINES consecutive lines of a text file: where a file's text is kept (joined with
    newlines, a file's chunks give back its text) and the unit the content search indexes.

    Small rows keep index rechecks cheap and give the line of a hit without reading whole files.
    Vendored and generated files are kept but not searchable (the search indexes leave them out).
    Chunks and symbols are bulk-loaded by the thousand on their own connections and only removed
    with their generation (children first), so their references are not checked by the database:
    a check per row would cost the build more than the rest of the row's insert.
    """

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="chunks", db_constraint=False)
    file = models.ForeignKey(LayerFile, on_delete=models.CASCADE, related_name="chunks", db_constraint=False)
    start_line = models.PositiveIntegerField()
    text = models.TextField()
    searchable = models.BooleanField(default=True)


class Symbol(models.Model):
    # Not checked by the database, as for ContentChunk.
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="symbols", db_constraint=False)
    file = models.ForeignKey(LayerFile, on_delete=models.CASCADE, related_name="symbols", db_constraint=False)
    kind = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    container = models.CharField(max_length=255, blank=True)
    line = models.PositiveIntegerField()
    end_line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["generation", "name"], name="symbol_generation_name")]


class Dependency(models.Model):
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="dependencies")
    ecosystem = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    constraint = models.CharField(max_length=255, blank=True)
    scope = models.CharField(max_length=32, blank=True)
    group = models.CharField(max_length=255, blank=True)
    manifest = models.TextField()

    class Meta:
        verbose_name_plural = "dependencies"


class SkippedFile(models.Model):
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="skipped")
    path = models.TextField()
    reason = models.CharField(max_length=255)


class Doc(models.Model):
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="docs")
    path = models.TextField()
    kind = models.CharField(max_length=16, default="doc")  # "readme" or "doc"
    title = models.CharField(max_length=255, blank=True)
    html = models.TextField()


class ApiToken(models.Model):
    """A personal token for the JSON API; only its SHA-256 is stored, the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The first characters, to tell tokens apart.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
