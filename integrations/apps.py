from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_schedules(sender, **kwargs) -> None:
    """Sweep for deletions whose worker died, every few minutes, on every cluster."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="resume-disconnections",
        defaults={"func": "integrations.tasks.resume_disconnections", "schedule_type": Schedule.MINUTES, "minutes": 5},
    )


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Bitbucket integration"

    def ready(self) -> None:
        import config.checks  # noqa: F401  (registers the deployment checks)

        post_migrate.connect(_ensure_schedules, sender=self)
