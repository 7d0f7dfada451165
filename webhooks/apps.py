from django.apps import AppConfig


def _count_hooks(*, workspace_ids, repositories) -> int:
    from django.db.models import Q

    from webhooks.models import Hook

    return Hook.objects.filter(Q(workspace_id__in=workspace_ids) | Q(repository__in=repositories)).count()


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from django_q.tasks import async_task

        from integrations.services.deletion import register_cleanup, register_count
        from integrations.signals import workspace_linked
        from knowledge.signals import layer_created
        from webhooks.registration import hooks_remove

        register_cleanup(hooks_remove)
        register_count("our hooks on Bitbucket", _count_hooks)

        def on_linked(sender, workspace_id: int, **kwargs) -> None:
            async_task("webhooks.tasks.register_hooks", workspace_id, task_name=f"register-hooks-{workspace_id}")

        def on_layer_created(sender, repository_id: int, **kwargs) -> None:
            async_task("webhooks.tasks.register_repository_hook", repository_id, task_name=f"register-hook-repo-{repository_id}")

        workspace_linked.connect(on_linked, dispatch_uid="webhooks.register-on-link", weak=False)
        layer_created.connect(on_layer_created, dispatch_uid="webhooks.register-on-layer", weak=False)
