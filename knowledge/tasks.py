"""django-q2 jobs of the knowledge app: thin doors that take primary keys."""
from __future__ import annotations

from knowledge.services.layers import layer_build


def build_layer(layer_id: int) -> None:
    layer_build(layer_id=layer_id)
