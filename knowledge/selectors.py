"""Reads of the knowledge app, always scoped to one user (`visible_to`, defined on the querysets)."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from knowledge.models import ApiToken, ContentChunk, Generation, KnowledgeLayer, LayerFile


def layers_for(*, user) -> QuerySet[KnowledgeLayer]:
    return (
        KnowledgeLayer.objects.visible_to(user)
        .select_related("repository__workspace__connection")
        .order_by("repository__full_name")
    )


def layer_for(*, user, layer_id: int) -> KnowledgeLayer:
    """The user's layer, or 404 (another user's id looks exactly like a missing one)."""
    layer = layers_for(user=user).filter(pk=layer_id).first()
    if layer is None:
        raise Http404("No such knowledge layer.")
    return layer


def layer_status_for(*, user, layer_id: int) -> KnowledgeLayer:
    """Only what the live status shows, in one query (the page polls it every second), or 404."""
    layer = KnowledgeLayer.objects.visible_to(user).filter(pk=layer_id).only(
        "status", "failure_reason", "files_done", "files_total", "active_generation", "rebuild_requested",
    ).first()
    if layer is None:
        raise Http404("No such knowledge layer.")
    return layer


def generation_file_counts(generation: Generation) -> dict[str, int]:
    """How the generation's files divide, each file counted once: binary, else vendored, else
    generated (the rest is the team's own text: code, docs, data)."""
    own = Q(is_binary=False, is_vendored=False)
    return generation.files.aggregate(
        binary=Count("pk", filter=Q(is_binary=True)),
        vendored=Count("pk", filter=Q(is_binary=False, is_vendored=True)),
        generated=Count("pk", filter=own & Q(is_generated=True)),
    )


def serving_generation(layer: KnowledgeLayer) -> Generation | None:
    if layer.active_generation is None:
        return None
    return Generation.objects.filter(layer=layer, number=layer.active_generation, status=Generation.Status.READY).first()


def file_text(file: LayerFile) -> str:
    """The file's kept text ("" for binary files and text holding NUL), from its chunks."""
    return "\n".join(ContentChunk.objects.filter(file=file).order_by("start_line").values_list("text", flat=True))


def layer_file(generation: Generation | None, path: str) -> LayerFile:
    """The file at `path` in the serving generation, or 404 (a NUL cannot be in a stored path)."""
    file = None
    if generation is not None and "\x00" not in path:
        file = LayerFile.objects.filter(generation=generation, path=path).first()
    if file is None:
        raise Http404("No such file in this knowledge layer.")
    return file


def api_tokens_for(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_for(*, user, token_id: int) -> ApiToken:
    """The user's own token, or 404 (another user's id looks exactly like a missing one)."""
    token = api_tokens_for(user=user).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such API token.")
    return token
