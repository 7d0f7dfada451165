"""One helper per job of the webhooks app: what each is queued as, after the surrounding commit."""
from __future__ import annotations

from core.jobs import enqueue
from webhooks import tasks


def delivery_process_later(*, delivery_id: int) -> None:
    enqueue(tasks.process_delivery, delivery_id, name=f"delivery-{delivery_id}")


def hooks_register_later(*, workspace_id: int) -> None:
    enqueue(tasks.register_hooks, workspace_id, name=f"register-hooks-{workspace_id}")


def hooks_register_repository_later(*, repository_id: int) -> None:
    enqueue(tasks.register_repository_hook, repository_id, name=f"register-hook-repo-{repository_id}")
