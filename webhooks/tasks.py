"""django-q2 jobs of the webhooks app: thin doors that take primary keys."""
from __future__ import annotations

# Modules, not names: the services queue these tasks through webhooks.jobs, which imports this.
from webhooks import processing, registration, removal


def register_hooks(workspace_id: int) -> None:
    registration.hooks_register(workspace_id=workspace_id)


def register_repository_hook(repository_id: int) -> None:
    registration.hooks_register_repository(repository_id=repository_id)


def process_delivery(delivery_id: int) -> str:
    return processing.delivery_process(delivery_id=delivery_id)


def sweep_deliveries() -> int:
    """Scheduled every minute: retries whose back-off is over, deliveries whose worker died or
    whose queue entry was lost."""
    return processing.deliveries_sweep()


def purge_old_deliveries() -> int:
    """Scheduled every hour: finished deliveries older than WEBHOOK_RETENTION_DAYS go."""
    return processing.deliveries_purge_expired()


def retry_hook_removals() -> int:
    """Scheduled every minute: hooks left on Bitbucket by a disconnect whose back-off is over."""
    return removal.hook_removals_retry()
