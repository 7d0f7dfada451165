from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _count_hooks(*, workspace_ids, repositories) -> int:
    from django.db.models import Q

    from webhooks.models import Hook

    return Hook.objects.filter(Q(workspace_id__in=workspace_ids) | Q(repository__in=repositories)).count()


def _ensure_schedules(sender, **kwargs) -> None:
    """The delivery sweep and the hook removals' retries every minute (retries, dead workers, lost queue entries) and the
    retention purge every hour, on every cluster."""
    from core.jobs import schedule_every
    from webhooks.tasks import purge_old_deliveries, retry_hook_removals, sweep_deliveries

    schedule_every(sweep_deliveries, minutes=1, name="sweep-webhook-deliveries")
    schedule_every(retry_hook_removals, minutes=1, name="retry-hook-removals")
    schedule_every(purge_old_deliveries, minutes=60, name="purge-old-webhook-deliveries")


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        post_migrate.connect(_ensure_schedules, sender=self)
        from django.db.models.signals import pre_delete

        from integrations.models import Connection
        from integrations.services.deletion import register_cleanup, register_count
        from integrations.signals import workspace_linked
        from knowledge.signals import layer_created
        from webhooks import jobs
        from webhooks.registration import hooks_remove

        register_cleanup(hooks_remove)

        def on_connection_deleted(sender, instance: Connection, **kwargs) -> None:
            # Hooks still to remove keep the connection's last tokens, which go once they are removed.
            from webhooks.removal import connection_keep_removal_tokens

            connection_keep_removal_tokens(connection=instance)

        pre_delete.connect(on_connection_deleted, sender=Connection, dispatch_uid="webhooks.keep-removal-tokens", weak=False)
        register_count("our hooks on Bitbucket", _count_hooks)

        def on_linked(sender, workspace_id: int, **kwargs) -> None:
            jobs.hooks_register_later(workspace_id=workspace_id)

        def on_layer_created(sender, repository_id: int, **kwargs) -> None:
            jobs.hooks_register_repository_later(repository_id=repository_id)

        workspace_linked.connect(on_linked, dispatch_uid="webhooks.register-on-link", weak=False)
        layer_created.connect(on_layer_created, dispatch_uid="webhooks.register-on-layer", weak=False)
