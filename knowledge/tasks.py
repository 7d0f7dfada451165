"""django-q2 jobs of the knowledge app: thin doors that take primary keys."""
from __future__ import annotations

from django.db import connection

from knowledge.services.layers import layer_build


def build_layer(layer_id: int) -> None:
    layer_build(layer_id=layer_id)


def compact_search_index() -> None:
    """Merge the content index's pending list (PostgreSQL GIN) so searches stop scanning it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list('contentchunk_text_trgm'::regclass)")
